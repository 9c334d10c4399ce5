-- Shared by the wrk scripts of scripts/bench/ (wrk runs them from the repository root):
--   local common = dofile("scripts/bench/common.lua")
local common = {}

-- A random UUID (version 4 shape), for client ids, idempotency keys and object names.
function common.uuid()
  return string.format("%08x-%04x-4%03x-%04x-%06x%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0x8000, 0xbfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

-- The JPEG `photo` made unique by a COM segment holding `id` (no two uploads are duplicates).
function common.unique_jpeg(photo, id)
  return photo:sub(1, 2) .. "\255\254" .. string.char(0, #id + 2) .. id .. photo:sub(3)
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
