"""Choosing where tensors live: ``device="auto"`` means CUDA when present, else Apple's MPS, else CPU."""

from __future__ import annotations

import re

DEVICE_CHOICES = ("auto", "cpu", "cuda", "cuda:N", "mps")


def check_device_name(device: str) -> None:
    """Fail, naming the bad value, unless ``device`` is one of :data:`DEVICE_CHOICES` (whether this machine has it
    or not: an assignment's device is the students' machine's).

        >>> check_device_name("tpu")
        Traceback (most recent call last):
        ...
        ValueError: unknown device 'tpu'; allowed: ['auto', 'cpu', 'cuda', 'cuda:N', 'mps']
    """
    if not isinstance(device, str) or not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device):
        raise ValueError(f"unknown device {device!r}; allowed: {list(DEVICE_CHOICES)}")


def resolve_device(device: str) -> str:
    """Turn a device request into a concrete torch device string, or fail naming the bad value.

        >>> resolve_device("cpu")
        'cpu'
    """
    import torch  # deferred: chapters without torch still validate their device parameter cheaply

    check_device_name(device)
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device={device!r} was requested but CUDA is not available here; use 'auto' or 'cpu'")
        index = int(device.split(":")[1]) if ":" in device else 0
        if index >= torch.cuda.device_count():
            raise ValueError(f"device={device!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device='mps' was requested but MPS is not available here; use 'auto' or 'cpu'")
    return device
