/**
 * The Python that every exported model.py carries: the few layers PyTorch spells
 * differently from descent (a dense or conv2d with its activation inside, the step unit,
 * global average pooling, dropout scaled at test time), and a safetensors reader and writer
 * that need nothing but torch — the format is an 8-byte little-endian header length, a JSON
 * header and the raw little-endian bytes of each tensor.
 */
export const PYTHON_RUNTIME = String.raw`
class Dense(nn.Linear):
    """descent's dense layer: activation(x W^T + b), W of shape [out, in] as nn.Linear's."""

    def __init__(self, in_features, out_features, bias=True, activation=None):
        super().__init__(in_features, out_features, bias=bias)
        self.activation = activation if activation is not None else nn.Identity()

    def forward(self, x):
        return self.activation(super().forward(x))


class Conv2d(nn.Conv2d):
    """descent's conv2d: activation(conv(x) + b), weight OIHW. pad = (left, right, top, bottom)
    is descent's uneven zero padding ('same' with an even kernel or a stride), applied first."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, activation=None, pad=None):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias)
        self.activation = activation if activation is not None else nn.Identity()
        self.pad = pad

    def forward(self, x):
        if self.pad is not None:
            x = F.pad(x, self.pad)
        return self.activation(super().forward(x))


class Step(nn.Module):
    """The perceptron's unit: 1 where x >= 0, else 0 (its gradient is 0, as in descent)."""

    def forward(self, x):
        return (x >= 0).to(x.dtype)


class GlobalAvgPool2d(nn.Module):
    """The mean over height and width: [N, C, H, W] -> [N, C] (or [N, C, 1, 1] with keepdim)."""

    def __init__(self, keepdim=False):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, x):
        return x.mean(dim=(2, 3), keepdim=self.keepdim)


class ScaleAtTestDropout(nn.Module):
    """descent's dropout mode 'scaleAtTest': training zeroes units with probability p and does
    not rescale; inference multiplies by the keep probability 1 - p."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if self.training:
            return x * (torch.rand_like(x) >= self.p).to(x.dtype)
        return x * (1 - self.p)


_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
_SAFETENSORS_NAMES = {v: k for k, v in _SAFETENSORS_DTYPES.items()}


def load_safetensors(path):
    """The tensors of a .safetensors file, by name (CPU, in file order)."""
    if sys.byteorder != "little":
        raise RuntimeError("load_safetensors: this reader assumes a little-endian machine")
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes; a safetensors file starts with an 8-byte header length")
    n = int.from_bytes(data[:8], "little")
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} exceeds the file ({len(data)} bytes)")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _SAFETENSORS_DTYPES:
            raise ValueError(f"{path}: tensor '{name}' has dtype {info['dtype']}, which this reader does not know")
        dtype = _SAFETENSORS_DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        if not 0 <= begin <= end <= len(data) - base:
            raise ValueError(f"{path}: tensor '{name}' has data_offsets {begin}..{end} outside the data section")
        if end == begin:
            t = torch.empty(0, dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(data[base + begin:base + end]), dtype=dtype)
        out[name] = t.reshape(info["shape"])
    return out


def save_safetensors(tensors, path, metadata=None):
    """Writes a dict of tensors as .safetensors (atomically: a temporary file, then a rename)."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    # Widest elements first keeps every tensor aligned in the data section.
    items = sorted(tensors.items(), key=lambda kv: -kv[1].element_size())
    for name, t in items:
        t = t.detach().to("cpu").contiguous()
        if t.dtype not in _SAFETENSORS_NAMES:
            raise ValueError(f"save_safetensors: tensor '{name}' has dtype {t.dtype}, which safetensors cannot hold here")
        nbytes = t.numel() * t.element_size()
        raw = bytearray(nbytes)
        if nbytes > 0:
            torch.frombuffer(raw, dtype=torch.uint8).copy_(t.reshape(-1).view(torch.uint8))
        header[name] = {"dtype": _SAFETENSORS_NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + nbytes]}
        chunks.append(raw)
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for c in chunks:
            f.write(c)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
`;
