-- wrk: POST /api/v1/households/{id}/photos as $TOKEN, the JPEG in $PHOTO made unique by a COM
-- segment (a new client_id each), to a household chosen at random from $IDS_FILE (one id a
-- line, the first word of each line). Reusable by other benchmarks (scripts/bench/peer.sh).
local common = dofile("scripts/bench/common.lua")
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line:match("^(%S+)") end
local token = os.getenv("TOKEN")
local photo = common.read_jpeg(os.getenv("PHOTO"))
common.numbered_threads()

function request()
  return common.photo_upload("/api/v1/households/" .. ids[math.random(#ids)] .. "/photos", token, photo)
end

response = common.report_unexpected(201)
