-- The functions KrakenD CE's integration suite calls on /lua/collection
-- and /lua/custom_error (tests/fixtures/lua/collection.lua, the version
-- its lua_1 spec answers), written again for lambdagate's tests.

-- pre_backend appends the "id" claim of the request's token (read, not
-- verified) to the backend's URL.
function pre_backend(req)
  local token = req:headers("Authorization")
  local first = string.find(token, "%.")
  local last = string.find(token, "%.", first + 1)
  local claims = json_parse(from_base64(string.sub(token, first + 1, last - 1)))
  req:url(req:url() .. claims["id"])
end

-- post_proxy replaces the collection by its size and its paths.
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
  data:set("collection", {})
end

function json_error()
  custom_error('{"msg":"I refuse to make any coffee, I am a teapot!"}', 418)
end
