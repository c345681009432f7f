"""init_module and patched in many threads at once: same bits, torch's tables unharmed.

Eight threads loop for ``FASTINIT_THREAD_SECONDS`` (default 30; 60 is "a
minute") over init_module(rules="hf") on six tiny transformers configs (more
than the recordings kept, so transformers' init code runs again and again),
init_module(rules="torch") on a torch model, and patched() around unchanged
transformers and torch model code. Every result must equal, bit for bit, the
same work done in one thread first. A ninth thread uses torch.nn.init without
fastinit all along and must get torch's own values. Afterwards torch.nn.init,
the modules that bound its functions, transformers' table of them and
PreTrainedModel.initialize_weights must be the originals.
"""

import hashlib
import os
import sys
import threading
import time

from conftest import require

torch = require("torch")
transformers = require("transformers")
nn = torch.nn

from transformers import initialization as hf_table  # noqa: E402

import fastinit.torch as fit  # noqa: E402
from fastinit.torch import _state  # noqa: E402

SECONDS = float(os.environ.get("FASTINIT_THREAD_SECONDS", "30"))
BINDERS = ("torch.nn.init", "torch.nn.modules.activation", "torch.nn.modules.linear",
           "torch.nn.modules.transformer", "torch.nn.modules.rnn")

transformers.logging.set_verbosity_error()


def digest(module):
    h = hashlib.sha256()
    for name, t in module.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def llama(vocab):
    return transformers.LlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=48,
                                    num_hidden_layers=2, num_attention_heads=4,
                                    num_key_value_heads=2, pad_token_id=3,
                                    tie_word_embeddings=vocab % 2 == 0)


CONFIGS = [llama(v) for v in (60, 61, 62, 63, 64, 65)]
GPT2 = transformers.GPT2Config(n_embd=32, n_layer=2, n_head=4, vocab_size=70, n_positions=16)


def hf_init(i):
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(CONFIGS[i % len(CONFIGS)])
    model.to_empty(device="cpu")
    return digest(fit.init_module(model, seed=i, rules="hf", n_threads=1))


def torch_init(i):
    model = nn.Sequential(nn.Embedding(20, 8, padding_idx=1), nn.LSTM(8, 8),
                          nn.Transformer(8, 2, 1, 1, 16, batch_first=True))
    return digest(fit.init_module(model, seed=i, n_threads=1))


def patched_hf(i):
    with fit.patched(seed=i):
        return digest(transformers.GPT2LMHeadModel(GPT2))


def patched_torch(i):
    with fit.patched(seed=i):
        return digest(nn.Sequential(nn.Linear(6, 5), nn.MultiheadAttention(8, 2)))


def plain_torch(i):
    """torch's own functions with a private generator: fastinit must not be in the way."""
    g = torch.Generator().manual_seed(i)
    w = torch.empty(16, 8)
    torch.nn.init.kaiming_uniform_(w, generator=g)
    torch.nn.init.xavier_normal_(w, generator=g)
    torch.nn.init.trunc_normal_(w, std=0.5, generator=g)
    return hashlib.sha256(w.numpy().tobytes()).hexdigest()


WORK = [hf_init, torch_init, patched_hf, patched_torch]
RUNS = {}  # runs of each kind in the last test, for a look: pytest -s would not show them


def tables():
    found = [vars(sys.modules[m]).get(n) for m in BINDERS for n in fit.PATCHED]
    found += list(hf_table.TORCH_INIT_FUNCTIONS.values())
    return found + [transformers.PreTrainedModel.initialize_weights]


def test_threads_get_the_bits_of_one_thread_and_torchs_tables_survive():
    before = tables()
    assert all(vars(torch.nn.init)[n].__module__ == "torch.nn.init" for n in fit.PATCHED)
    expected = {(w.__name__, i): w(i) for w in WORK for i in range(len(CONFIGS))}
    expected.update({("plain_torch", i): plain_torch(i) for i in range(4)})
    errors, counts, stop = [], {}, time.monotonic() + SECONDS

    def loop(k, work):
        i = k
        while time.monotonic() < stop:
            n = i % (4 if work is plain_torch else len(CONFIGS))
            try:
                got = work(n)
            except Exception as error:  # noqa: BLE001 - every error fails the test below
                errors.append((work.__name__, repr(error)))
                return
            if got != expected[(work.__name__, n)]:
                errors.append((work.__name__, f"different bits for {n}"))
                return
            counts[work.__name__] = counts.get(work.__name__, 0) + 1
            i += 1

    threads = [threading.Thread(target=loop, args=(k, WORK[k % len(WORK)])) for k in range(8)]
    threads.append(threading.Thread(target=loop, args=(0, plain_torch)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    RUNS.update(counts)
    assert set(counts) == {w.__name__ for w in (*WORK, plain_torch)}, counts
    assert min(counts.values()) >= 3, counts  # every kind ran again and again, side by side
    assert tables() == before
    assert _state._installed["count"] == 0
    assert torch.overrides._get_current_function_mode_stack() == []
