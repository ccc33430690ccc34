# Parses a safetensors file the way Python's safetensors does (8-byte LE length, JSON header,
# contiguous data_offsets covering the data) and reads each tensor with torch.frombuffer; prints JSON.
# torch 1.13 has no float8 dtypes: those come back as raw bytes. Usage: read_safetensors.py FILE
import json, struct, sys, torch
data = open(sys.argv[1], 'rb').read()
n, = struct.unpack('<Q', data[:8])
header = json.loads(data[8:8 + n].decode('utf-8'))
meta = header.pop('__metadata__', None)
body = data[8 + n:]
pos = 0
for b, e, k in sorted((v['data_offsets'][0], v['data_offsets'][1], k) for k, v in header.items()):
    assert b == pos and e >= b, (k, b, e, pos)
    pos = e
assert pos == len(body), (pos, len(body))
DT = dict(F64=torch.float64, F32=torch.float32, F16=torch.float16, BF16=torch.bfloat16, I64=torch.int64,
          I32=torch.int32, I16=torch.int16, I8=torch.int8, U8=torch.uint8, BOOL=torch.bool)
for name, attr in (('F8_E4M3', 'float8_e4m3fn'), ('F8_E5M2', 'float8_e5m2')):
    if hasattr(torch, attr): DT[name] = getattr(torch, attr)
out = {}
for k, v in header.items():
    b, e = v['data_offsets']
    raw = body[b:e]
    if v['dtype'] not in DT:
        out[k] = {'raw': list(raw)}
        continue
    dt = DT[v['dtype']]
    t = (torch.frombuffer(bytearray(raw), dtype=dt) if raw else torch.empty(0, dtype=dt)).reshape(v['shape'])
    out[k] = {'shape': list(t.shape), 'values': (t.double() if t.is_floating_point() else t.long()).flatten().tolist()}
print(json.dumps({'header_length': n, 'metadata': meta, 'order': list(header), 'tensors': out}))
