-- The functions of KrakenD CE's fixture (tests/fixtures/lua/collection.lua),
-- written again for lambdagate's tests.
function post_proxy(resp)
  local data = resp:data()
  local col = data:get("collection")
  local size = col:len()
  data:set("total", size)
  local paths = {}
  for i = 0, size - 1 do
    table.insert(paths, col:get(i):get("path"))
  end
  data:set("paths", paths)
  data:del("collection")
end

function json_error()
  custom_error('{"msg":"I refuse to make any coffee, I am a teapot!"}', 418)
end
