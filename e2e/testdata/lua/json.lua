-- json_parse decodes a JSON text into Lua values (objects and arrays as
-- tables, null as nil): the helper KrakenD CE's fixture names, written for
-- lambdagate's tests.
local function skip(s, i)
  return s:find("[^ \t\r\n]", i) or #s + 1
end

local parse_value

local function parse_string(s, i)
  local out = {}
  i = i + 1
  while true do
    local c = s:sub(i, i)
    if c == "" then error("json: unterminated string") end
    if c == '"' then return table.concat(out), i + 1 end
    if c == "\\" then
      local e = s:sub(i + 1, i + 1)
      local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
      if e == "u" then
        table.insert(out, string.char(tonumber(s:sub(i + 2, i + 5), 16) % 256))
        i = i + 6
      else
        table.insert(out, map[e] or e)
        i = i + 2
      end
    else
      table.insert(out, c)
      i = i + 1
    end
  end
end

local function parse_object(s, i)
  local t = {}
  i = skip(s, i + 1)
  if s:sub(i, i) == "}" then return t, i + 1 end
  while true do
    local k
    k, i = parse_string(s, skip(s, i))
    i = skip(s, i)
    if s:sub(i, i) ~= ":" then error("json: ':' expected at " .. i) end
    t[k], i = parse_value(s, i + 1)
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "}" then return t, i + 1 end
    if c ~= "," then error("json: ',' or '}' expected at " .. i) end
    i = i + 1
  end
end

local function parse_array(s, i)
  local t = {}
  i = skip(s, i + 1)
  if s:sub(i, i) == "]" then return t, i + 1 end
  while true do
    local v
    v, i = parse_value(s, i)
    table.insert(t, v)
    i = skip(s, i)
    local c = s:sub(i, i)
    if c == "]" then return t, i + 1 end
    if c ~= "," then error("json: ',' or ']' expected at " .. i) end
    i = i + 1
  end
end

parse_value = function(s, i)
  i = skip(s, i)
  local c = s:sub(i, i)
  if c == "{" then return parse_object(s, i) end
  if c == "[" then return parse_array(s, i) end
  if c == '"' then return parse_string(s, i) end
  for word, v in pairs({ ["true"] = true, ["false"] = false }) do
    if s:sub(i, i + #word - 1) == word then return v, i + #word end
  end
  if s:sub(i, i + 3) == "null" then return nil, i + 4 end
  local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if num == nil or num == "" then error("json: unexpected '" .. c .. "' at " .. i) end
  return tonumber(num), i + #num
end

function json_parse(s)
  local v = parse_value(s, 1)
  return v
end
