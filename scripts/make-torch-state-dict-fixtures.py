"""PyTorch state_dicts for test/io/torch-state-dict.test.ts, made with Debian's python3-torch:

    OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 scripts/make-torch-state-dict-fixtures.py

Two plain PyTorch models (an MLP, and a CNN with Conv2d, BatchNorm2d, PReLU, MaxPool2d,
AvgPool2d, Flatten, BatchNorm1d, ELU and Softmax), trained a few SGD steps so that batch
norm's running statistics and num_batches_tracked (int64, written as safetensors I64, as
safetensors.torch does) are not their initial values. Each state_dict is written as
test/fixtures/torch/NAME.safetensors and NAME.json holds an input and the model's outputs
in eval mode. The safetensors writer is written out here (JSON header + raw little-endian
bytes), so no package beyond torch is needed.
"""
import json
import os

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "torch")
NAMES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32"}


def save_safetensors(tensors, path):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name, t in sorted(tensors.items(), key=lambda kv: -kv[1].element_size()):
        t = t.detach().contiguous()
        raw = bytearray(t.numel() * t.element_size())
        if raw:
            torch.frombuffer(raw, dtype=torch.uint8).copy_(t.reshape(-1).view(torch.uint8))
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + b"".join(chunks))


def trained(net, shape, classes, steps=5):
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    net.train()
    for _ in range(steps):
        x = torch.randn(16, *shape)
        y = torch.randint(0, classes, (16,))
        opt.zero_grad()
        out = net(x)
        loss = nn.functional.nll_loss(torch.log(out + 1e-9), y) if isinstance(net[-1], nn.Softmax) \
            else nn.functional.cross_entropy(out, y)
        loss.backward()
        opt.step()
    return net.eval()


def write(name, net, shape):
    x = torch.randn(4, *shape)
    with torch.no_grad():
        y = net(x)
    save_safetensors(net.state_dict(), os.path.join(OUT, f"{name}.safetensors"))
    fixture = {
        "keys": list(net.state_dict().keys()),
        "input": {"shape": list(x.shape), "data": x.reshape(-1).tolist()},
        "output": {"shape": list(y.shape), "data": y.reshape(-1).tolist()},
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f)
        f.write("\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20261203)
    mlp = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3))
    write("mlp", trained(mlp, [12], 3), [12])
    cnn = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.PReLU(4), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(6, 5), nn.BatchNorm1d(5), nn.ELU(), nn.Linear(5, 3), nn.Softmax(dim=1),
    )
    write("cnn", trained(cnn, [1, 8, 8], 3), [1, 8, 8])


if __name__ == "__main__":
    main()
