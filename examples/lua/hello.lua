-- A run-to-completion workload: compute something, write it out, read it back.
local t = {}
for i = 1, 1000 do t[#t + 1] = i * i end
local path = os.tmpname()
local f = assert(io.open(path, "w"))
f:write(table.concat(t, ","))
f:close()
local back = assert(io.open(path, "r")):read("a")
os.remove(path)
print(("Hello from Lua: %d squares, %d bytes, at %s"):format(#t, #back, os.date("!%Y")))
