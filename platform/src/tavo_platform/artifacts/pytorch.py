"""PyTorch checkpoints: zip archives (`torch.save` since 1.6: `archive/data.pkl` plus raw
tensor storages) and legacy files (several pickles in a row, then raw tensor bytes).

The pickles are read by the pickle VM; this module knows how PyTorch lays them out.
TorchScript archives (`torch.jit.save`) are zips too: see torchscript.py.
"""

from __future__ import annotations

# PyTorch's legacy (pre-1.6) files start with a pickle of this number...
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
# ...followed by the protocol version, system info, the object and the storage keys;
# raw tensor bytes come after those five pickles.
TORCH_LEGACY_PICKLES = 5


def is_checkpoint_pickle(member: str) -> bool:
    """Whether an archive member is the object pickle of a zip-based PyTorch checkpoint."""
    return member.endswith("data.pkl")
