/**
 * train_ddp.py: continues training an exported descent model with PyTorch's
 * DistributedDataParallel, on as many processes (and machines) as torchrun starts:
 *
 *   torchrun --nproc_per_node=2 train_ddp.py --epochs 2      # gloo on CPU, NCCL where CUDA exists
 *
 * It reads state_dict.safetensors and the data set exported beside it (data.safetensors:
 * x_train, y_train, x_test, y_test, prepared as descent trained on them) or --data, trains,
 * prints each epoch's loss and accuracy, and writes the state_dict back (trained.safetensors)
 * for io.loadStateDict / `descent import`.
 *
 * What carries over from descent's training record (model.json, metadata.training and the
 * flags), as torch.optim with the same defaults descent documents:
 *
 *   --optimizer  sgd, momentum (SGD with momentum, default 0.9), nesterov (SGD nesterov=True),
 *                adagrad, rmsprop, adadelta, adam, amsgrad (Adam amsgrad=True), adamw, adamax,
 *                nadam, rprop; quickprop, lbfgs and newton have no torch.optim counterpart that
 *                trains on mini-batches (pass --optimizer to choose one)
 *   --lr, --momentum, --weight-decay (the optimiser's weight_decay; AdamW's is decoupled)
 *   --l1, --l2   added to the weights' gradients (biases excluded), as descent's penalties
 *   --clip-value, --clip-norm   torch.nn.utils.clip_grad_value_ / clip_grad_norm_, after the penalties
 *   --batch-size the global batch: each of N processes takes batch/N (DDP averages the gradients)
 *   --loss       crossEntropy, mse, sse, binaryCrossEntropy, binaryCrossEntropyFromLogits
 *
 * Not carried over (listed in CONFIG['notMapped'] and printed): learning-rate schedules,
 * augmentation, and descent's RNG streams (PyTorch draws its own shuffles and dropout masks).
 */

/** The training settings train_ddp.py starts from (each can be overridden on its command line). */
export interface TorchTrainingConfig {
  loss: string;
  task: 'classification' | 'regression';
  numClasses: number;
  optimizer: string;
  lr: number | null;
  momentum: number | null;
  weightDecay: number | null;
  l1: number | null;
  l2: number | null;
  clipValue: number | null;
  clipNorm: number | null;
  batchSize: number;
  epochs: number;
  seed: number;
  /** The data file next to the script (null: none exported, --data is required). */
  data: string | null;
  /** descent's data set, for messages. */
  dataName: string | null;
  /** The training settings that do not carry over to PyTorch. */
  notMapped: string[];
}

export const TORCH_OPTIMIZERS = [
  'sgd',
  'momentum',
  'nesterov',
  'adagrad',
  'rmsprop',
  'adadelta',
  'adam',
  'amsgrad',
  'adamw',
  'adamax',
  'nadam',
  'rprop',
] as const;

export const TORCH_LOSSES = [
  'crossEntropy',
  'mse',
  'sse',
  'binaryCrossEntropy',
  'binaryCrossEntropyFromLogits',
] as const;

/** The text of train_ddp.py with its settings. */
export function trainDdpSource(config: TorchTrainingConfig, modelName: string): string {
  // JSON inside a raw triple-quoted string: only a triple quote could end it, and JSON.stringify escapes none.
  const settings = JSON.stringify(config, null, 2).replaceAll('"""', '\\u0022\\u0022\\u0022');
  return `"""Continue training descent's model '${modelName}' with PyTorch DistributedDataParallel.

    torchrun --nproc_per_node=2 train_ddp.py [--epochs 2] [--data data.safetensors] [--out trained.safetensors]

gloo on CPU, NCCL when CUDA is available (one GPU per process); more machines: torchrun's
--nnodes/--node_rank/--rdzv_endpoint. It loads state_dict.safetensors, trains on the data
(data.safetensors: x_train, y_train[, x_test, y_test], prepared as descent trained on it),
prints each epoch's loss and accuracy, and writes the trained state_dict (safetensors), which
\`descent import trained.safetensors --into MODEL_DIR OUT_DIR\` reads back. The settings below
come from descent's training record; each has a command-line flag (--help).
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import build_model, load_safetensors, save_safetensors  # noqa: E402

CONFIG = json.loads(r"""
${settings}
""")

OPTIMIZERS = ${JSON.stringify(TORCH_OPTIMIZERS)}
LOSSES = ${JSON.stringify(TORCH_LOSSES)}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = os.path.join(HERE, CONFIG["data"]) if CONFIG["data"] else None
    p.add_argument("--data", default=data, help="safetensors with x_train, y_train[, x_test, y_test] (default: %(default)s)")
    p.add_argument("--state-dict", default=os.path.join(HERE, "state_dict.safetensors"), help="the weights to start from")
    p.add_argument("--out", default=os.path.join(HERE, "trained.safetensors"), help="where rank 0 writes the trained state_dict")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=CONFIG["batchSize"], help="the global batch (each process takes batch/N)")
    p.add_argument("--optimizer", default=CONFIG["optimizer"], choices=OPTIMIZERS)
    p.add_argument("--lr", type=float, default=CONFIG["lr"])
    p.add_argument("--momentum", type=float, default=CONFIG["momentum"])
    p.add_argument("--weight-decay", type=float, default=CONFIG["weightDecay"])
    p.add_argument("--l1", type=float, default=CONFIG["l1"])
    p.add_argument("--l2", type=float, default=CONFIG["l2"])
    p.add_argument("--clip-value", type=float, default=CONFIG["clipValue"])
    p.add_argument("--clip-norm", type=float, default=CONFIG["clipNorm"])
    p.add_argument("--seed", type=int, default=CONFIG["seed"])
    p.add_argument("--json", action="store_true", help="one JSON object per line instead of text")
    return p.parse_args()


def make_optimizer(name, params, args):
    """descent's optimiser by name, as torch.optim with descent's defaults (which are PyTorch's)."""
    lr, m = args.lr, args.momentum
    wd = args.weight_decay or 0.0
    o = torch.optim
    if name == "sgd":
        return o.SGD(params, lr=lr or 0.01, momentum=m or 0.0, weight_decay=wd)
    if name == "momentum":
        return o.SGD(params, lr=lr or 0.01, momentum=0.9 if m is None else m, weight_decay=wd)
    if name == "nesterov":
        return o.SGD(params, lr=lr or 0.01, momentum=0.9 if m is None else m, nesterov=True, weight_decay=wd)
    if name == "adagrad":
        return o.Adagrad(params, lr=lr or 0.01, weight_decay=wd)
    if name == "rmsprop":
        return o.RMSprop(params, lr=lr or 0.01, alpha=0.99, eps=1e-8, momentum=m or 0.0, weight_decay=wd)
    if name == "adadelta":
        return o.Adadelta(params, lr=lr or 1.0, rho=0.9, eps=1e-6, weight_decay=wd)
    if name == "adam":
        return o.Adam(params, lr=lr or 1e-3, weight_decay=wd)
    if name == "amsgrad":
        return o.Adam(params, lr=lr or 1e-3, amsgrad=True, weight_decay=wd)
    if name == "adamw":
        return o.AdamW(params, lr=lr or 1e-3, weight_decay=1e-2 if args.weight_decay is None else wd)
    if name == "adamax":
        return o.Adamax(params, lr=lr or 2e-3, weight_decay=wd)
    if name == "nadam":
        return o.NAdam(params, lr=lr or 2e-3, weight_decay=wd)
    if name == "rprop":
        return o.Rprop(params, lr=lr or 0.01)
    raise SystemExit(
        f"train_ddp.py: descent's optimiser '{name}' has no torch.optim counterpart for mini-batch training here; "
        f"pass --optimizer with one of: {', '.join(OPTIMIZERS)}")


def loss_function(name, task, num_classes, world):
    """descent's loss by name, for integer class labels (classification) or values (regression)."""
    def target(y, out):
        if task == "regression":
            return y.to(out.dtype).reshape(out.shape)
        if out.shape[1] == 1:
            return y.to(out.dtype).reshape(out.shape)
        return F.one_hot(y, num_classes).to(out.dtype)

    if name == "crossEntropy":
        return lambda out, y: F.cross_entropy(out, y)
    if name == "mse":
        return lambda out, y: F.mse_loss(out, target(y, out))
    if name == "sse":
        # descent's sse sums over the whole batch; DDP averages the processes' gradients, hence * world.
        return lambda out, y: 0.5 * ((out - target(y, out)) ** 2).sum() * world
    if name == "binaryCrossEntropy":
        return lambda out, y: F.binary_cross_entropy(out, target(y, out))
    if name == "binaryCrossEntropyFromLogits":
        return lambda out, y: F.binary_cross_entropy_with_logits(out, target(y, out))
    raise SystemExit(f"train_ddp.py: descent's loss '{name}' is not mapped to PyTorch; mapped: {', '.join(LOSSES)}")


def correct(out, y, loss):
    """The number of right answers in a batch (classification)."""
    if out.shape[1] == 1:
        threshold = 0.0 if loss == "binaryCrossEntropyFromLogits" else 0.5
        return ((out.reshape(-1) > threshold).long() == y).sum().item()
    return (out.argmax(dim=1) == y).sum().item()


def penalise(net, args):
    """descent's --l1 and --l2 on the weights (not biases, nor rank-1 tensors); --weight-decay for Rprop."""
    for name, p in net.named_parameters():
        if p.grad is None:
            continue
        weight = p.dim() > 1 and not name.endswith("bias")
        if args.l1 and weight:
            p.grad.add_(torch.sign(p.detach()), alpha=args.l1)
        if args.l2 and weight:
            p.grad.add_(p.detach(), alpha=args.l2)
        if args.weight_decay and args.optimizer == "rprop":
            p.grad.add_(p.detach(), alpha=args.weight_decay)


def evaluate(net, x, y, loss_fn, device, batch=256):
    """The test loss and accuracy, in batches of 256 weighted by their size, as descent evaluate
    reports them (for the summed sse the batch size changes the number)."""
    net.eval()
    total, right = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb, yb = x[i:i + batch].to(device), y[i:i + batch].to(device)
            out = net(xb)
            total += loss_fn(out, yb).item() * len(xb)
            if CONFIG["task"] == "classification":
                right += correct(out, yb, CONFIG["loss"])
    return total / len(x), (right / len(x) if CONFIG["task"] == "classification" else None)


def main():
    args = parse_args()
    if args.data is None:
        raise SystemExit("train_ddp.py: no data was exported with the model; pass --data FILE.safetensors (x_train, y_train)")
    distributed = "RANK" in os.environ
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, world, local = dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0"))
    else:
        rank, world, local = 0, 1, 0
    device = torch.device(f"cuda:{local}") if cuda else torch.device("cpu")
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed + rank)

    def say(text, record):
        if rank == 0:
            print(json.dumps(record) if args.json else text, flush=True)

    for note in CONFIG["notMapped"]:
        say(f"note: {note}", {"note": note})
    data = load_safetensors(args.data)
    for key in ("x_train", "y_train"):
        if key not in data:
            raise SystemExit(f"train_ddp.py: {args.data} has no tensor '{key}' (it holds {', '.join(data) or 'none'})")
    label = torch.long if CONFIG["task"] == "classification" else torch.float32
    x_train, y_train = data["x_train"].float(), data["y_train"].to(label)
    has_test = "x_test" in data and "y_test" in data
    x_test, y_test = (data["x_test"].float(), data["y_test"].to(label)) if has_test else (None, None)

    net = build_model()
    net.load_state_dict(load_safetensors(args.state_dict))
    net.to(device)
    model = DistributedDataParallel(net, device_ids=[local] if cuda else None) if distributed else net
    loss_fn = loss_function(CONFIG["loss"], CONFIG["task"], CONFIG["numClasses"], world)
    test_loss_fn = loss_function(CONFIG["loss"], CONFIG["task"], CONFIG["numClasses"], 1)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args)
    train_set = TensorDataset(x_train, y_train)
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(train_set, batch_size=max(1, args.batch_size // world), sampler=sampler)
    backend = dist.get_backend() if distributed else "none"
    say(f"training '{CONFIG['dataName']}' ({len(x_train)} samples) on {world} process(es), backend {backend}, "
        f"{args.optimizer} lr={optimizer.param_groups[0]['lr']}, batch {args.batch_size}, {args.epochs} epochs",
        {"processes": world, "backend": backend, "optimizer": args.optimizer, "samples": len(x_train)})
    if has_test and rank == 0:
        loss, acc = evaluate(net, x_test, y_test, test_loss_fn, device)
        say(f"before: test loss {loss:.4f}" + (f", test accuracy {100 * acc:.2f}%" if acc is not None else ""),
            {"epoch": 0, "testLoss": loss, "testAccuracy": acc})
    started = time.time()
    for epoch in range(1, args.epochs + 1):
        sampler.set_epoch(epoch)
        model.train()
        totals = torch.zeros(3, dtype=torch.float64, device=device)
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            optimizer.zero_grad()
            out = model(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            penalise(net, args)
            if args.clip_value is not None:
                torch.nn.utils.clip_grad_value_(net.parameters(), args.clip_value)
            if args.clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), args.clip_norm)
            optimizer.step()
            scale = world if CONFIG["loss"] == "sse" else 1
            totals[0] += loss.item() / scale * len(xb)
            totals[1] += correct(out.detach(), yb, CONFIG["loss"]) if CONFIG["task"] == "classification" else 0
            totals[2] += len(xb)
        if distributed:
            dist.all_reduce(totals)
        record = {"epoch": epoch, "loss": totals[0].item() / totals[2].item()}
        if CONFIG["task"] == "classification":
            record["accuracy"] = totals[1].item() / totals[2].item()
        if has_test and rank == 0:
            record["testLoss"], record["testAccuracy"] = evaluate(net, x_test, y_test, test_loss_fn, device)
        text = f"epoch {epoch}/{args.epochs}: loss {record['loss']:.4f}"
        if "accuracy" in record:
            text += f", accuracy {100 * record['accuracy']:.2f}%"
        if record.get("testAccuracy") is not None:
            text += f", test accuracy {100 * record['testAccuracy']:.2f}%"
        say(text, record)
        if distributed:
            dist.barrier()
    if rank == 0:
        save_safetensors(net.state_dict(), args.out, {
            "format": "pt", "producer": "descent train_ddp.py", "epochs": args.epochs, "processes": world})
        say(f"wrote {args.out} ({time.time() - started:.1f}s of training)", {"out": args.out, "seconds": time.time() - started})
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
`;
}
