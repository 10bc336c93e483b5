type BinaryValue = ArrayBufferView | ArrayBuffer;

interface BinaryType {
  /** The bytes this value holds, as a Buffer over the same memory (no copy). */
  bytesOf(value: BinaryValue): Buffer;
  /** A new value of this type holding a copy of `bytes`. */
  fromBytes(bytes: Buffer): BinaryValue;
}

const viewBytes = (value: BinaryValue) => {
  const view = value as ArrayBufferView;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
};

const ownBuffer = (bytes: Buffer): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

type TypedArrayConstructor = new (buffer: ArrayBuffer) => ArrayBufferView;

const TYPED_ARRAYS: TypedArrayConstructor[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

/**
 * The binary types a value may hold, by name (the name written in the stored annotation) and by
 * prototype (how the encoder recognises them: a subclass is a class instance, not one of these).
 * Each is stored as the base64 of its own bytes, in the machine's byte order.
 */
export const BINARY_TYPES = new Map<string, BinaryType>([
  ['Buffer', { bytesOf: (value) => value as Buffer, fromBytes: (bytes) => Buffer.from(bytes) }],
  [
    'ArrayBuffer',
    {
      bytesOf: (value) => Buffer.from(value as ArrayBuffer),
      fromBytes: ownBuffer,
    },
  ],
  ['DataView', { bytesOf: viewBytes, fromBytes: (bytes) => new DataView(ownBuffer(bytes)) }],
  ...TYPED_ARRAYS.map((Type): [string, BinaryType] => [
    Type.name,
    { bytesOf: viewBytes, fromBytes: (bytes) => new Type(ownBuffer(bytes)) },
  ]),
]);

const NAME_BY_PROTOTYPE = new Map<object, string>([
  [Buffer.prototype, 'Buffer'],
  [ArrayBuffer.prototype, 'ArrayBuffer'],
  [DataView.prototype, 'DataView'],
  ...TYPED_ARRAYS.map((Type): [object, string] => [Type.prototype, Type.name]),
]);

/** The binary type's name for a value with this prototype, or `undefined`. */
export function binaryTypeOf(prototype: object | null): string | undefined {
  return prototype === null ? undefined : NAME_BY_PROTOTYPE.get(prototype);
}
