"""Training pieces for ``compare``: softmax cross-entropy, SGD and Adam in NumPy.

The network itself (:class:`fastinit.diagnose._mlp.MLP`) is library code, run by the
public diagnostics; its ``params`` and ``backward`` grads line up with the
optimizers' ``step(params, grads)``.
"""

import numpy as np


def softmax_cross_entropy(logits, labels):
    """Return the mean cross-entropy and its gradient with respect to `logits`."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(len(labels))
    loss = -log_p[rows, labels].mean()
    grad = np.exp(log_p)
    grad[rows, labels] -= 1
    return float(loss), grad / len(labels)


class SGD:
    """Plain minibatch gradient descent: ``p -= lr * g``."""

    def __init__(self, lr=0.1):
        self.lr = lr

    def step(self, params, grads):
        for p, g in zip(params, grads, strict=True):
            p -= self.lr * g


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction."""

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m = self.v = None

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        c1 = 1 - self.beta1 ** self.t
        c2 = 1 - self.beta2 ** self.t
        for p, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
