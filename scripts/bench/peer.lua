-- wrk for scripts/bench/peer.sh: one kind of request against ODK Central (SIDE=peer) or fangpin
-- (SIDE=fangpin), chosen by TEST:
--   read    GET one record by id (peer: the submission by instance id; fangpin: the household)
--   create  POST one new record of a head and two members (peer: submission XML with a new
--           instance id; fangpin: household JSON without a number, a new Idempotency-Key)
--   upload  POST the JPEG in $PHOTO, made unique by a COM segment (peer: the submission's
--           attachment p.jpg; fangpin: a multipart photo of the household)
-- $IDS_FILE: one record id a line; each thread walks its own stripe of it (no two in-flight
-- requests of a thread hit the same record). $FORM: the peer's form path
-- (/v1/projects/1/forms/household); $VILLAGES: the county's village codes, space-separated (each
-- new record goes to one at random, as a county's cadres create them); $SERIES: a number
-- unique to this wrk run, so the ID numbers of its records are new; $THREADS: wrk's -t.
local common = dofile("scripts/bench/common.lua")
local side = os.getenv("SIDE")
local test = os.getenv("TEST")
local token = os.getenv("TOKEN")
local form = os.getenv("FORM") or ""
local villages = {}
for code in (os.getenv("VILLAGES") or ""):gmatch("%S+") do villages[#villages + 1] = code end
local series = tonumber(os.getenv("SERIES") or "0")
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local photo = nil
if test == "upload" then photo = common.read_jpeg(os.getenv("PHOTO")) end

common.numbered_threads()
local n = 0

local function next_id()
  n = n + 1
  return ids[((n - 1) * nthreads + tid - 1) % #ids + 1]
end

-- Random, with the series, thread and a count in the last group: never repeated within a run.
local made = 0
local function uuid()
  made = made + 1
  return string.format("%08x-%04x-4%03x-%04x-%02x%02x%08x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0x8000, 0xbfff), series % 256, tid % 256, made)
end

-- A valid 18-character ID number (GB 11643), unique per series, thread and member: region
-- 83SSTT, a birth date that moves one day every 1 000 members, then the sequence and MOD 11-2.
local weights = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 }
local checks = "10X98765432"
local members_made = 0
local function id_number()
  members_made = members_made + 1
  local day = 315532800 + math.floor(members_made / 1000) * 86400 -- from 1980-01-01
  local first17 = string.format("83%02d%02d%s%03d", series % 100, tid % 100, os.date("!%Y%m%d", day), members_made % 1000)
  local sum = 0
  for i = 1, 17 do sum = sum + (first17:byte(i) - 48) * weights[i] end
  local c = (sum % 11) + 1
  return first17 .. checks:sub(c, c)
end

local people = { { "王建国", "head" }, { "李秀英", "spouse" }, { "王小明", "child" } }

local function create()
  local village = villages[math.random(#villages)]
  if side == "peer" then
    local body = { '<data id="household" version="1"><village>' .. village .. '</village><category>ordinary</category>' }
    for _, p in ipairs(people) do
      body[#body + 1] = "<member><name>" .. p[1] .. "</name><id_number>" .. id_number() .. "</id_number><relation>" .. p[2] .. "</relation></member>"
    end
    body[#body + 1] = "<photo/><meta><instanceID>uuid:" .. uuid() .. "</instanceID></meta></data>"
    return wrk.format("POST", form .. "/submissions",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/xml" }, table.concat(body))
  end
  local members = {}
  for _, p in ipairs(people) do
    members[#members + 1] = string.format('{"name":"%s","id_number":"%s","relation":"%s"}', p[1], id_number(), p[2])
  end
  local body = '{"village_code":"' .. village .. '","category":"ordinary","members":[' .. table.concat(members, ",") .. "]}"
  return wrk.format("POST", "/api/v1/households", { ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json", ["Idempotency-Key"] = uuid() }, body)
end

local function upload()
  local id = next_id()
  if side == "peer" then
    local cid = uuid()
    return common.jpeg_request("POST", form .. "/submissions/" .. id .. "/attachments/p.jpg",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "image/jpeg" }, photo, cid)
  end
  return common.photo_upload("/api/v1/households/" .. id .. "/photos", token, photo)
end

local read_headers = { ["Authorization"] = "Bearer " .. token }
function request()
  if test == "create" then return create() end
  if test == "upload" then return upload() end
  if side == "peer" then return wrk.format("GET", form .. "/submissions/" .. next_id(), read_headers) end
  return wrk.format("GET", "/api/v1/households/" .. next_id(), read_headers)
end

-- Writes and uploads show their first failures (reads stay without a response hook: it costs wrk time).
if test ~= "read" then
  local failures = 0
  function response(status, headers, body)
    if status >= 300 then
      failures = failures + 1
      if failures <= 3 then io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 300) .. "\n") end
    end
  end
end
