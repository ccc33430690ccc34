// General payloads (JSON, pickle skeletons, non-float tensors): the byte coder that measures best
// (methodChoice.ts; brotli wins on text), behind a header with its method id and the length.
//
// Layout: kind byte, method id, varint length, payload.
import { BYTE_METHOD, byteMethodName, decodeWith } from './byteCoders.ts';
import { chooseAndEncode, type ChoiceOptions } from './methodChoice.ts';
import { ByteReader, ByteWriter, STREAM_KIND, checkDecodedLength, type DecodeOptions } from './streamFormat.ts';

export function encodeBytes(data: Uint8Array, opts: ChoiceOptions = {}): Uint8Array {
  const { method, payload } = chooseAndEncode(data, opts);
  return new ByteWriter().u8(STREAM_KIND.bytes).u8(BYTE_METHOD[method]).varint(data.length).bytes(payload).finish();
}

export function decodeBytes(stream: Uint8Array, opts: DecodeOptions = {}): Uint8Array {
  const what = opts.what ?? 'bytes stream';
  const r = new ByteReader(stream, what);
  r.kind('bytes');
  const at = r.pos;
  const method = byteMethodName(r.u8('the method'));
  if (!method) throw new Error(`${what}: corrupt: unknown method id (byte offset ${at})`);
  const n = r.varint('the length');
  checkDecodedLength(r, n, opts.expectedBytes);
  const payload = r.bytes(r.remaining, 'the payload');
  return decodeWith(method, payload, n, `${what} (${method}, from byte offset ${r.pos - payload.length})`);
}
