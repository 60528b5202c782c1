"""Data-parallel `fit` under `torchrun`: one process per device, each on its own shard of the
data, gradients averaged across the processes by `DistributedDataParallel`.

    torchrun --nproc_per_node=2 train.py      # train.py calls model.fit(...) as usual

`fit` trains this way when `torch.distributed` is available and the environment says
`WORLD_SIZE` > 1 (torchrun sets `RANK`, `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR` and
`MASTER_PORT`), or when a process group of several processes is already initialized. The
user's module is never replaced: the DDP wrapper runs its forward during the train steps only.

The loop talks to a runner (`runner(module)`): `DataParallel` when this process is one of
several, else `SingleProcess`, the null runner whose collectives do nothing. The loop itself
has no data-parallel branches.
"""

import atexit
import datetime
import inspect
import os
import warnings

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from plait.training import data as data_lib, steps
from plait.utils import sharding

__all__ = ["DataParallel", "SingleProcess", "data_parallel", "is_sharded", "runner"]


DISTRIBUTE = ("auto", "ddp", "fsdp")


def runner(module, distribute="auto", optimizer=None):
    """The runner of a fit over `module`: a `DataParallel` when this process is one of
    several (see `data_parallel`), else a `SingleProcess`.

    `distribute`: "auto" (DDP, or FSDP2 for a model already sharded with `fully_shard`),
    "ddp", or "fsdp": shard the model with FSDP2 first (each layer that holds weights, then
    the whole model) and bind `optimizer` to the sharded parameters."""
    if distribute not in DISTRIBUTE:
        raise ValueError(
            f"`distribute` must be one of {list(DISTRIBUTE)}. Received: distribute={distribute!r}"
        )
    parallel = data_parallel(module)
    if parallel is None:
        return SingleProcess()
    if distribute == "ddp" and is_sharded(module):
        raise ValueError(
            "distribute='ddp' was asked for a model sharded with FSDP2 "
            "(fully_shard): pass distribute='fsdp' or 'auto'."
        )
    if distribute == "fsdp" and not is_sharded(module):
        shard_model(module)
        if optimizer is not None and hasattr(optimizer, "build"):
            optimizer.build([p for p in module.parameters() if p.requires_grad])
    return parallel


def shard_model(module):
    """Shard `module` with FSDP2: every submodule that holds parameters of its own, then
    `module` itself (which gathers what is left)."""
    from torch.distributed.fsdp import fully_shard

    for sub in list(module.modules())[1:]:
        if any(True for _ in sub.parameters(recurse=False)):
            fully_shard(sub)
    fully_shard(module)


class SingleProcess:
    """The runner of a fit in one process: no shards, no collectives; steps are kept in the
    compiled state between calls, and a stop requested mid-epoch stops at once."""

    is_chief = True
    stops_mid_epoch = True
    train_step = staticmethod(steps.train_step)

    def shard(self):
        return None

    def eval_shard(self):
        return None

    def warn_if_unsharded(self, source):
        pass

    def broadcast_int(self, value):
        return value

    def any_true(self, flag):
        return bool(flag)

    def average_buffers(self, module):
        pass

    def barrier(self):
        pass

    def reduce_metrics(self, state, stop_training):
        return stop_training


def data_parallel(module):
    """A `DataParallel` for this process when it is one of several, else None.

    Starts the process group (gloo on CPU, nccl on CUDA) when it is not running yet.
    """
    if not dist.is_available():
        return None
    if dist.is_initialized():
        if dist.get_world_size() <= 1:
            return None
    elif _env_int("WORLD_SIZE", 1) <= 1:
        return None
    return DataParallel(module)


def _env_int(name, default):
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ValueError(
            f"The environment variable {name} must be an integer (torchrun sets it). "
            f"Received: {name}={value!r}"
        ) from None


class DataParallel:
    """This process's part in a data-parallel fit: its rank, the collectives fit needs, and
    the DDP-wrapped forward of the train step."""

    # Every process must run the same steps: a stop requested mid-epoch waits for its end.
    stops_mid_epoch = False

    def __init__(self, module):
        device = data_lib.module_device(module)
        if device.type == "cuda":
            device = _local_gpu(module, device, _env_int("LOCAL_RANK", 0))
        if not dist.is_initialized():
            _start("nccl" if device.type == "cuda" and dist.is_nccl_available() else "gloo")
        self.rank = dist.get_rank()
        self.world_size = dist.get_world_size()
        self.device = device
        backend = str(dist.get_backend())
        if backend == "nccl":
            self.comm_device = (
                device
                if device.type == "cuda"
                else torch.device("cuda", torch.cuda.current_device())
            )
        elif device.type == "cuda" and "nccl" in backend:
            self.comm_device = device
        else:
            self.comm_device = torch.device("cpu")

    @property
    def is_chief(self):
        return self.rank == 0

    def shard(self):
        """How this process takes its part of in-memory data (see `data.ArraySource`)."""
        return data_lib.Shard(self.rank, self.world_size, self.shared_seed)

    def eval_shard(self):
        """This process's part of validation data: each sample once, in one process."""
        return data_lib.Shard(self.rank, self.world_size, self.shared_seed, pad=False)

    # -- collectives -----------------------------------------------------------------------

    def shared_seed(self):
        """A random seed, the same in every process: rank 0's draw from torch's generator
        (so `set_random_seed` and BackupAndRestore govern it, as without torchrun)."""
        seed = torch.randint(0, 2**62, (1,), dtype=torch.int64).to(self.comm_device)
        dist.broadcast(seed, src=0)
        return int(seed.item())

    def broadcast_int(self, value):
        """Rank 0's `value`, in every process."""
        tensor = torch.tensor([int(value)], dtype=torch.int64, device=self.comm_device)
        dist.broadcast(tensor, src=0)
        return int(tensor.item())

    def barrier(self):
        dist.barrier()

    def any_true(self, flag):
        """Whether `flag` is true in any process (so that all decide alike)."""
        tensor = torch.tensor([1 if flag else 0], dtype=torch.int64, device=self.comm_device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
        return bool(tensor.item())

    def average_buffers(self, module):
        """Average the floating-point buffers (BatchNormalization's moving statistics) over
        the processes, with one all-reduce.

        Each process updates its moving statistics from its own batches; a moving average
        is linear in the batch statistics and every process starts the epoch from the same
        values, so averaging once at the end of the epoch gives exactly the statistics that
        averaging the updates at every step would (Keras's mirrored variables with MEAN
        aggregation), at the cost of one collective per epoch."""
        buffers = [b for b in module.buffers() if b.is_floating_point()]
        if not buffers:
            return
        flat = torch.cat(
            [b.detach().reshape(-1).to(self.comm_device, torch.float64) for b in buffers]
        )
        dist.all_reduce(flat)
        flat.div_(self.world_size)
        with torch.no_grad():
            for buffer, piece in zip(buffers, flat.split([b.numel() for b in buffers])):
                buffer.copy_(piece.view(buffer.shape))

    def sync_module(self, module):
        """Give every process rank 0's parameters and buffers."""
        with torch.no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                staged = tensor.detach().to(self.comm_device)
                dist.broadcast(staged, src=0)
                if staged is not tensor:
                    tensor.copy_(staged)

    def average_gradients(self, grads):
        """`grads` (a dict of tensors) averaged over the processes: one all-reduce per
        dtype."""
        names = list(grads)
        by_dtype = {}
        for name in names:
            by_dtype.setdefault(grads[name].dtype, []).append(name)
        out = dict(grads)
        for group in by_dtype.values():
            flat = torch.cat([grads[n].reshape(-1) for n in group]).to(self.comm_device)
            dist.all_reduce(flat)
            flat = flat.div_(self.world_size)
            for name, piece in zip(group, flat.split([grads[n].numel() for n in group])):
                grad = grads[name]
                out[name] = (
                    piece.to(grad.device).view(grad.shape)
                    if grad.is_contiguous()
                    else torch.empty_like(grad).copy_(piece.view(grad.shape))
                )
        return out

    def reduce_metrics(self, state, stop_training):
        """Sum the epoch's metric state (loss trackers and metric variables, all sums) over
        the processes, in place, with one all-reduce; returns whether any process asked to
        stop training."""
        trackers = [state.loss_tracker] + [t for t in state.output_loss_trackers if t is not None]
        metrics = list({id(m): m for _, m in state.metric_keys}.values())
        variables = [v for m in metrics for v in getattr(m, "variables", ())]
        pieces = []
        for tracker in trackers:
            total = tracker.total if tracker.total is not None else torch.zeros(())
            pieces += [total.reshape(1), torch.tensor([float(tracker.count)])]
        pieces += [v.reshape(-1) for v in variables]
        pieces.append(torch.tensor([1.0 if stop_training else 0.0]))
        flat = torch.cat([p.to(self.comm_device, torch.float64) for p in pieces])
        dist.all_reduce(flat)
        parts = flat.split([p.numel() for p in pieces])
        counts_and_stop = torch.cat(
            [parts[2 * i + 1] for i in range(len(trackers))] + [parts[-1]]
        ).tolist()
        for i, tracker in enumerate(trackers):
            old = tracker.total
            tracker.total = (
                parts[2 * i]
                .reshape(())
                .to(
                    self.device if old is None else old.device,
                    torch.float32 if old is None else old.dtype,
                )
            )
            tracker.count = int(round(counts_and_stop[i]))
        with torch.no_grad():
            for variable, part in zip(variables, parts[2 * len(trackers) : -1]):
                variable.copy_(part.view(variable.shape))
        return counts_and_stop[-1] > 0

    # -- the train step ---------------------------------------------------------------------

    def train_step(self, state, spec, options):
        """A train step whose gradients are averaged over the processes. Made for each fit,
        not kept: the DDP wrapper must not outlive it.

        A model sharded with FSDP2 (`torch.distributed.fsdp.fully_shard`) averages its own
        gradients (reduce-scatter in backward): its step is the plain eager one."""
        if is_sharded(spec.module):
            if steps.jit_wanted(state, spec) and self.is_chief:
                warnings.warn(
                    "jit_compile=True is not used for a model sharded with FSDP2 "
                    "(fully_shard): it trains eagerly.",
                    UserWarning,
                    stacklevel=4,
                )
            return steps.EagerTrainStep(state, spec, spec.call)
        if steps.jit_wanted(state, spec):
            self.sync_module(spec.module)
            return steps.JitTrainStep(state, spec, options.backend, parallel=self)
        return steps.EagerTrainStep(
            state, spec, self.forward(spec, steps.has_unused_outputs(state))
        )

    def forward(self, spec, find_unused=False):
        """`forward(xs)` through a `DistributedDataParallel` over `spec.module`, which
        averages the gradients during backward. Built anew for each fit: the wrapper (and
        its gradient hooks) is gone once fit returns.

        `find_unused`: some parameters get no gradient (an output compiled without a loss).
        DDP's static graph mode refuses them from the second step on, so DDP then looks for
        them at every step instead (a walk over the autograd graph, paid only then)."""
        module = spec.module
        if isinstance(module, DistributedDataParallel) or not any(
            p.requires_grad for p in module.parameters()
        ):
            return spec.call
        options = {"find_unused_parameters": True} if find_unused else {"static_graph": True}
        # Each process keeps its own moving statistics during the epoch; `average_buffers`
        # joins them at its end (rank 0's broadcast at every step would drop the others').
        wrapper = DistributedDataParallel(
            module,
            device_ids=[self.device.index] if self.device.type == "cuda" else None,
            **_NO_BUFFER_SYNC,
            **options,
        )

        def forward(xs):
            args, kwargs = spec.call_args(xs)
            return wrapper(*args, **kwargs)

        return forward

    def warn_if_unsharded(self, source):
        """A DataLoader or generator is the user's to shard: say so when it is not."""
        if isinstance(source, data_lib.ArraySource) or getattr(source, "sharded", False):
            return
        sampler = getattr(getattr(source, "loader", None), "sampler", None)
        if isinstance(sampler, torch.utils.data.DistributedSampler):
            return
        if self.is_chief:
            warnings.warn(
                f"fit runs data-parallel in {self.world_size} processes and splits arrays and "
                "Datasets among them, but a DataLoader or generator is used as given: every "
                "process trains on all of it. Give the DataLoader a "
                "torch.utils.data.distributed.DistributedSampler (every process must yield "
                "the same number of batches), or pass arrays or a Dataset.",
                UserWarning,
                stacklevel=3,
            )


# DDP's switch for "no rank-0 broadcast of the buffers at each forward" (renamed in torch 2.13)
_NO_BUFFER_SYNC = (
    {"forward_sync_buffers": False}
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel.__init__).parameters
    else {"broadcast_buffers": False}
)


def is_sharded(module):
    """Whether `module` holds parameters sharded by FSDP2 (DTensors)."""
    return any(sharding.is_sharded(p) for p in module.parameters())


def _local_gpu(module, device, local_rank):
    """Under torchrun each process trains on GPU `LOCAL_RANK`; a model built on another GPU
    (every process's default is GPU 0) moves there."""
    if local_rank >= torch.cuda.device_count():
        return device
    target = torch.device("cuda", local_rank)
    torch.cuda.set_device(target)
    if device != target:
        module.to(target)
    return target


def _timeout():
    """How long a collective waits for the other processes before failing (a process that
    died or hangs ends the job with an error instead of a hang): `PLAIT_DIST_TIMEOUT`
    seconds, default 1800 as torch's."""
    seconds = _env_int("PLAIT_DIST_TIMEOUT", 1800)
    if seconds <= 0:
        raise ValueError(
            "PLAIT_DIST_TIMEOUT must be a positive number of seconds. "
            f"Received: PLAIT_DIST_TIMEOUT={seconds}"
        )
    return datetime.timedelta(seconds=seconds)


def _restart_store():
    """After torchrun restarts the workers (`--max-restarts`), the store it hosts still
    holds the dead workers' addresses under the default keys, and gloo would connect to
    them; each restart gets keys of its own."""
    restart = _env_int("TORCHELASTIC_RESTART_COUNT", 0)
    if restart == 0 or "MASTER_ADDR" not in os.environ:
        return None
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"],
        _env_int("MASTER_PORT", 0),
        _env_int("WORLD_SIZE", 1),
        is_master=False,
        timeout=_timeout(),
    )
    return dist.PrefixStore(f"plait/restart{restart}", store)


def _start(backend):
    try:
        store = _restart_store()
        if store is None:
            dist.init_process_group(backend=backend, timeout=_timeout())
        else:
            dist.init_process_group(
                backend=backend,
                store=store,
                timeout=_timeout(),
                rank=_env_int("RANK", 0),
                world_size=_env_int("WORLD_SIZE", 1),
            )
    except ValueError as error:
        raise RuntimeError(
            f"fit found WORLD_SIZE={os.environ.get('WORLD_SIZE')} in the environment and "
            f"starts torch.distributed to train data-parallel, but could not: {error} Run the "
            "script with torchrun (`torchrun --nproc_per_node=N script.py`), which sets RANK, "
            "WORLD_SIZE, MASTER_ADDR and MASTER_PORT, or unset WORLD_SIZE to train in one "
            "process."
        ) from error
    atexit.register(_stop)


def _stop():
    if dist.is_initialized():
        dist.destroy_process_group()
