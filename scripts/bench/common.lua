-- Shared by the wrk scripts of scripts/bench/ (wrk runs them from the repository root):
--   local common = dofile("scripts/bench/common.lua")
local common = {}

-- A random UUID (version 4 shape), for client ids, idempotency keys and object names.
function common.uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

-- A JPEG read once from `path`, split after its SOI marker, for jpeg_request() and
-- photo_upload(): each request then carries it made unique by a COM segment.
function common.read_jpeg(path)
  local photo = io.open(path, "rb"):read("*a")
  return { soi = photo:sub(1, 2), rest = photo:sub(3) }
end

-- The whole HTTP request `method path` with `headers` (a table; Host and Content-Length are
-- added) and the body `before` .. the JPEG `jpeg` (from read_jpeg) made unique by a COM segment
-- holding `id` .. `after`. The 4 MB photo is copied once, into the request itself: wrk.format
-- would copy the body again, and making the JPEG unique apart from the body twice more (the
-- client's CPU per upload is part of the same machine's budget as the servers').
function common.jpeg_request(method, path, headers, jpeg, id, before, after)
  before, after = before or "", after or ""
  local com = "\255\254" .. string.char(0, #id + 2) .. id
  local lines = { string.format("%s %s HTTP/1.1", method, path), "Host: " .. wrk.headers["Host"] }
  for name, value in pairs(headers) do lines[#lines + 1] = name .. ": " .. value end
  lines[#lines + 1] = "Content-Length: " .. (#before + #jpeg.soi + #com + #jpeg.rest + #after)
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. before .. jpeg.soi .. com .. jpeg.rest .. after
end

-- POST `path` (.../households/{id}/photos) as `token`: the multipart upload of the JPEG `jpeg`
-- (from read_jpeg) of kind door_with_cadre with a new client id, as the phone sends it.
function common.photo_upload(path, token, jpeg)
  local boundary = "fangpinbenchboundary" .. math.random(0, 0x7fffffff)
  local cid = common.uuid()
  local before = "--" .. boundary .. '\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'
    .. string.format('{"kind":"door_with_cadre","taken_at":"%s","client_id":"%s"}', os.date("!%Y-%m-%dT%H:%M:%S+00:00"), cid)
    .. "\r\n--" .. boundary .. '\r\nContent-Disposition: form-data; name="file"; filename="p.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
  local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }
  return common.jpeg_request("POST", path, headers, jpeg, cid, before, "\r\n--" .. boundary .. "--\r\n")
end

-- Numbers wrk's threads (`tid`, from 1, of `nthreads`) and seeds each thread's random numbers
-- apart (shifted by `seed_shift`, so two wrk processes differ). Call it at the top of a script;
-- it defines setup() and init(), which then calls `on_init(tid)` if given. `on_setup(thread)`,
-- if given, is called with each thread in setup() (to keep it for done(), say).
function common.numbered_threads(on_init, seed_shift, on_setup)
  local counter = 0
  function setup(thread)
    counter = counter + 1
    thread:set("tid", counter)
    thread:set("nthreads", tonumber(os.getenv("THREADS") or "2"))
    if on_setup then on_setup(thread) end
  end
  function init(args)
    math.randomseed(os.time() * 1000 + tid + (seed_shift or 0))
    if on_init then on_init(tid) end
  end
end

-- A response() that writes the first three answers of each unexpected status to stderr.
function common.report_unexpected(expected)
  local statuses = {}
  return function(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status ~= expected and statuses[status] <= 3 then
      io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n")
    end
  end
end

return common
