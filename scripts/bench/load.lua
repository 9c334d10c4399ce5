-- wrk: the load mix of scripts/bench/load.sh, as $TOKEN.
--   70 % reads: a household (40), a village's household list (20), a township's coverage (10)
--   20 % writes: a location capture (10), a new yearly record PUT (10)
--   10 % photo uploads of the JPEG in $PHOTO (about 4 MB), each made unique by a COM segment
-- (or one class of them: $MIX below)
-- $IDS_FILE: "household_id village township member_id,member_id,..." per line; each thread
-- takes its own stripe of lines for yearly records, so no record is PUT twice.
local common = dofile("scripts/bench/common.lua")
local rows = {}
for line in io.lines(os.getenv("IDS_FILE")) do
  local id, village, township, members = line:match("^(%S+) (%S+) (%S+) (%S+)$")
  rows[#rows + 1] = { id = id, village = village, township = township, members = members }
end
local token = os.getenv("TOKEN")
local year = os.getenv("YEAR")
local photo = common.read_jpeg(os.getenv("PHOTO"))
local threads = {}
local next_row
common.numbered_threads(function(tid) next_row = tid end, 0, function(thread) table.insert(threads, thread) end)

local uuid = common.uuid

local json_headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local get_headers = { ["Authorization"] = "Bearer " .. token }

local function now() return os.date("!%Y-%m-%dT%H:%M:%S+00:00") end

local function capture(h)
  local body = string.format(
    '{"lat":%.6f,"lon":%.6f,"accuracy_m":8,"captured_at":"%s","source":"gps","client_id":"%s"}',
    37.60 + math.random() * 0.02, 110.02 + math.random() * 0.02, now(), uuid())
  return wrk.format("POST", "/api/v1/households/" .. h.id .. "/locations", json_headers, body)
end

local function yearly()
  local h = rows[next_row]
  next_row = next_row + nthreads
  if h == nil then return nil end
  local members = {}
  for m in h.members:gmatch("[^,]+") do
    members[#members + 1] = string.format('{"member_id":"%s","education":"junior","health":"healthy","disability_grade":null,"in_school":"not_in_school","labour_skill":"ordinary","work_status":"out_of_province","months_away":6}', m)
  end
  local ok = '{"ok":true,"reason":null}'
  local body = '{"income":{"wages":12000,"production":3000,"production_costs":1000,"property":0,"transfers":1200},"members":['
    .. table.concat(members, ",") .. '],"guarantees":{"food_clothing":' .. ok .. ',"drinking_water":' .. ok
    .. ',"compulsory_education":' .. ok .. ',"basic_medical":' .. ok .. ',"housing_safety":' .. ok
    .. '},"living":{"housing":"safe","water":"tap","electricity":true,"paved_road":true,"broadband":false}}'
  return wrk.format("PUT", "/api/v1/households/" .. h.id .. "/years/" .. year, json_headers, body)
end

local function upload(h)
  return common.photo_upload("/api/v1/households/" .. h.id .. "/photos", token, photo)
end

-- $MIX narrows the mix to one class, in the same proportions inside it: "reads", "writes" or
-- "uploads" (load.sh runs one wrk per class at once, to report each one's latency); default all.
local mix = os.getenv("MIX") or "all"
-- $THINK_MS: each connection waits this long after an answer before its next request (a person
-- at a console, a phone between screens): the class then sends at a set pace instead of as fast
-- as the server answers, and its latency measures the server, not its own queue.
local think = tonumber(os.getenv("THINK_MS") or "0")
if think > 0 then
  local half = math.floor(think / 2)
  function delay() return math.random(think - half, think + half) end
end

function request()
  local h = rows[math.random(#rows)]
  local r = math.random()
  if mix == "reads" then
    r = r * 0.70
  elseif mix == "writes" then
    r = 0.70 + r * 0.20
  elseif mix == "uploads" then
    r = 0.95
  end
  if r < 0.40 then
    return wrk.format("GET", "/api/v1/households/" .. h.id, get_headers)
  elseif r < 0.60 then
    return wrk.format("GET", "/api/v1/households?division=" .. h.village .. "&limit=20", get_headers)
  elseif r < 0.70 then
    return wrk.format("GET", "/api/v1/coverage?division=" .. h.township, get_headers)
  elseif r < 0.80 then
    return capture(h)
  elseif r < 0.90 then
    return yearly() or capture(h)
  else
    return upload(h)
  end
end

local statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 and (statuses[status] <= 3) then
    io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n")
  end
end
