"""The ``torch.autograd.Function`` behind ``_compat.custom_gradient``, in a module of its
own: it imports torch, so ``_compat`` imports it only for torch arrays; and a class is
defined here at import, not in a function that ``torch.compile`` may be tracing (Dynamo
cannot trace a class definition, so a compiled first call would fail)."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["CustomGradient"]


class CustomGradient(torch.autograd.Function):
    """``apply(value, gradient, count, *arrays)``: ``value(*arrays)`` gives the output and
    what to save; ``gradient(arrays, saved, g, wanted)`` the gradient of each of the
    ``count`` arrays (``wanted``: which of them require one)."""

    @staticmethod
    def forward(ctx: Any, value: Any, gradient: Any, count: int, *arrays: Any) -> Any:
        out, saved = value(*arrays)
        ctx.gradient, ctx.count = gradient, count
        ctx.save_for_backward(*arrays, *saved)
        return out

    @staticmethod
    def backward(ctx: Any, g: Any) -> Any:
        tensors = ctx.saved_tensors
        arrays, saved = tensors[: ctx.count], tensors[ctx.count :]
        wanted = tuple(ctx.needs_input_grad[3:])
        return (None, None, None, *ctx.gradient(arrays, saved, g, wanted))
