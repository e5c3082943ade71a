-- from_base64 decodes standard or URL-safe base64, padded or not (the
-- helper KrakenD CE's fixture names), written for lambdagate's tests.
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local index = {}
for i = 1, #alphabet do
  index[alphabet:sub(i, i)] = i - 1
end
index["-"] = 62
index["_"] = 63

function from_base64(s)
  local out = {}
  local acc, bits = 0, 0
  for i = 1, #s do
    local v = index[s:sub(i, i)]
    if v ~= nil then
      acc = acc * 64 + v
      bits = bits + 6
      if bits >= 8 then
        bits = bits - 8
        local byte = math.floor(acc / 2 ^ bits)
        acc = acc - byte * 2 ^ bits
        table.insert(out, string.char(byte))
      end
    end
  end
  return table.concat(out)
end
