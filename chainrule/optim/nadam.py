"""NAdam: Adam with Nesterov momentum (and momentum decay)."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_differentiable, _check_tensor_lr, _closure_loss, _lerp_, _scalar_state,
                        _scale_scalar, _step_value, _zeros_state)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, as ``torch.optim.NAdam``.

    Momentum schedule ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``, with the
    running product of the ``mu_t`` kept in the state as ``mu_product``;
    ``decoupled_weight_decay`` gives NAdamW-style decay.

    >>> opt = chainrule.optim.NAdam(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)
        _check_differentiable(differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
        self._steps_to_tensors("step", "mu_product")

    def step(self, closure=None):
        """Perform one NAdam step; returns ``closure()``'s loss if a closure is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            wd = float(group["weight_decay"])
            momentum_decay = group["momentum_decay"]
            decoupled = group["decoupled_weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p._grad
                if grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state(0.0)
                    state["mu_product"] = _scalar_state(1.0)
                    state["exp_avg"] = _zeros_state(p)
                    state["exp_avg_sq"] = _zeros_state(p)
                w = p._data
                g = grad._data
                if maximize:
                    g = -g
                step = _step_value(state["step"])
                bias_correction2 = 1 - beta2 ** step
                if wd != 0:
                    if decoupled:
                        w *= 1 - lr * wd
                    else:
                        g = g + wd * w
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product = _scale_scalar(state["mu_product"], mu)
                mu_product_next = mu_product * mu_next
                m = state["exp_avg"]._data
                v = state["exp_avg_sq"]._data
                _lerp_(m, g, 1 - beta1)
                v *= beta2
                t = (1 - beta2) * g
                t *= g
                v += t
                denom = v / bias_correction2
                np.sqrt(denom, out=denom)
                denom += eps
                t = (-lr * (1.0 - mu) / (1.0 - mu_product)) * g
                t /= denom
                w += t
                t = (-lr * mu_next / (1.0 - mu_product_next)) * m
                t /= denom
                w += t
                p._vc[0] += 1
        return loss
