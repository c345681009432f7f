"""Checkpoints of Hugging Face configs: transformers loads them, init_module agrees."""

import hashlib
import json
import os
import subprocess
import sys

import pytest
from conftest import require

torch = require("torch")
transformers = require("transformers")
require("safetensors")

import fastinit.torch as fastinit_torch  # noqa: E402
from fastinit import checkpoint as ckpt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA = {"model_type": "llama", "hidden_size": 512, "intermediate_size": 1376,
         "num_hidden_layers": 4, "num_attention_heads": 8, "num_key_value_heads": 4,
         "vocab_size": 32000, "max_position_embeddings": 1024, "tie_word_embeddings": False}
TINY = dict(LLAMA, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
            num_attention_heads=4, num_key_value_heads=2, vocab_size=1000)


def config_file(tmp_path, doc, name="config.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def init_module_state(cfg_doc, dtype, seed, rules="hf"):
    cfg = transformers.AutoConfig.for_model(**cfg_doc)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    model.to_empty(device="cpu")
    model.tie_weights()  # to_empty made separate tensors of tied weights
    fastinit_torch.init_module(model, seed=seed, rules=rules)
    return model.state_dict()


def as_int(t):
    return t.view({2: torch.int16, 4: torch.int32}[t.element_size()])


@pytest.mark.parametrize(("dtype", "tied"), [("float32", False), ("bfloat16", True)])
def test_llama_checkpoint_loads_in_transformers_and_equals_init_module(tmp_path, dtype, tied):
    from safetensors import safe_open

    # untied: a padding row (zero, as transformers makes it) in the embedding's last piece
    doc = dict(LLAMA, tie_word_embeddings=tied, pad_token_id=None if tied else 31999)
    out = tmp_path / "ckpt"
    s = ckpt.write(out, config_file(tmp_path, doc), seed=3, dtype=dtype, max_shard_size="25MB",
                   progress=False)
    assert s.total_bytes > 50 * 10**6  # 56 MB tied in bfloat16, 177 MB untied in float32
    assert s.files >= 2
    model, info = transformers.AutoModelForCausalLM.from_pretrained(
        out, dtype=getattr(torch, dtype), output_loading_info=True)
    assert info["missing_keys"] == set()
    assert info["unexpected_keys"] == set()
    assert info["mismatched_keys"] == set()
    index = json.loads((out / "model.safetensors.index.json").read_text())
    want = init_module_state(doc, getattr(torch, dtype), seed=3)
    stored = set()
    for fname in sorted(set(index["weight_map"].values())):
        with safe_open(out / fname, framework="pt") as f:
            for key in f.keys():
                assert index["weight_map"][key] == fname
                assert torch.equal(as_int(f.get_tensor(key)), as_int(want[key])), key
                stored.add(key)
    assert stored == set(index["weight_map"])
    assert ("lm_head.weight" in stored) is not tied  # a tied weight is stored once
    assert tied == bool(want["model.embed_tokens.weight"][31999].any())
    loaded = model.state_dict()
    assert [k for k in want if not torch.equal(as_int(loaded[k]), as_int(want[k]))] == []


BERT = {"model_type": "bert", "hidden_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 1000}


def small_files(d):
    return {n: (d / n).read_bytes() for n in sorted(os.listdir(d))
            if not n.endswith(".safetensors")}


def save_pretrained(doc, out, auto, **kwargs):
    cfg = transformers.AutoConfig.for_model(**doc)
    model = auto.from_config(cfg)
    model.save_pretrained(out, **kwargs)
    return model


@pytest.mark.parametrize(("doc", "auto", "generates"), [
    (dict(TINY, tie_word_embeddings=False), "AutoModelForCausalLM", True),
    (dict(TINY, tie_word_embeddings=True), "AutoModelForCausalLM", True),
    (BERT, "AutoModelForMaskedLM", False),
], ids=["llama", "llama-tied", "bert-masked-lm"])
def test_files_keys_and_metadata_are_those_save_pretrained_writes(tmp_path, doc, auto,
                                                                   generates):
    from safetensors import safe_open

    model = save_pretrained(doc, tmp_path / "hf", getattr(transformers, auto))
    assert model.can_generate() is generates
    ckpt.write(tmp_path / "ours", model.config, seed=0, dtype="float32", progress=False)

    def keys_and_metadata(d):
        with safe_open(d / "model.safetensors", framework="pt") as f:
            return set(f.keys()), f.metadata()["format"]

    assert keys_and_metadata(tmp_path / "ours") == keys_and_metadata(tmp_path / "hf")
    theirs, ours = small_files(tmp_path / "hf"), small_files(tmp_path / "ours")
    assert ("generation_config.json" in ours) is generates
    assert ours == theirs  # config.json and generation_config.json, byte for byte


@pytest.mark.parametrize(("doc", "auto"), [(dict(TINY, tie_word_embeddings=True),
                                            "AutoModelForCausalLM"),
                                           (BERT, "AutoModelForMaskedLM")],
                         ids=["llama-tied", "bert-masked-lm"])
def test_a_sharded_index_is_the_one_save_pretrained_writes(tmp_path, doc, auto):
    model = save_pretrained(doc, tmp_path / "hf", getattr(transformers, auto),
                            max_shard_size="100KB")
    ckpt.write(tmp_path / "ours", model.config, seed=0, dtype="float32",
               max_shard_size="100KB", progress=False)
    theirs = json.loads((tmp_path / "hf" / "model.safetensors.index.json").read_text())
    assert set(theirs["metadata"]) == {"total_parameters", "total_size"}
    assert small_files(tmp_path / "ours") == small_files(tmp_path / "hf")  # index included
    assert sorted(os.listdir(tmp_path / "ours")) == sorted(os.listdir(tmp_path / "hf"))


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "fastinit", "checkpoint", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=900,
                          env=dict(os.environ, **(env or {})))


def digests(d):
    return {n: hashlib.sha256((d / n).read_bytes()).hexdigest()
            for n in sorted(os.listdir(d)) if not n.startswith(".")}


def test_command_writes_verifies_and_splits_by_rank(tmp_path):
    cfg = config_file(tmp_path, TINY)
    res = run_cli("--config", cfg, "--out", tmp_path / "one", "--seed", 5, "--verify")
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""  # stderr is not a terminal: no progress bar
    assert "1 file(s)" in res.stdout
    assert "(sampled:" in res.stdout
    res = run_cli("--config", cfg, "--out", tmp_path / "one", "--seed", 5, "--verify", "full")
    assert "wrote 0.000 GB" in res.stdout
    assert "(full:" in res.stdout
    for rank in (1, 0):  # torchrun's environment
        res = run_cli("--config", cfg, "--out", tmp_path / "two", "--seed", 5, "--quiet",
                      env={"WORLD_SIZE": "2", "RANK": str(rank)})
        assert f"worker {rank} of 2" in res.stdout, res.stderr
    assert digests(tmp_path / "two") == digests(tmp_path / "one")


def test_command_reports_bad_configs(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    res = run_cli("--config", bad, "--out", tmp_path / "out")
    assert res.returncode == 2
    assert "error: config must be a readable Hugging Face config.json" in res.stderr
    res = run_cli("--config", config_file(tmp_path, dict(TINY, model_type="lama")),
                  "--out", tmp_path / "out")
    assert res.returncode == 2
    assert "error: config must describe a model transformers knows" in res.stderr
    assert "model_type 'lama'; nearest: llama" in res.stderr
    assert len(res.stderr.split("nearest: ")[1].split(", ")) <= 5  # not the whole list
    with pytest.raises(ValueError, match='config must be a JSON object with a "model_type"'):
        ckpt.write(tmp_path / "out", config_file(tmp_path, [1, 2]), seed=0)
    assert not (tmp_path / "out").exists()


def test_a_torch_module_is_written_as_init_module_fills_it(tmp_path):
    from safetensors.torch import load_file

    def net():
        return torch.nn.Sequential(torch.nn.Linear(300, 200), torch.nn.LayerNorm(200),
                                   torch.nn.Conv2d(3, 8, 5), torch.nn.Embedding(50, 16, 0))

    with torch.device("meta"):
        meta = net()
    ckpt.write(tmp_path, meta, seed=2, rules="torch", dtype="float32", progress=False)
    want = fastinit_torch.init_module(net(), seed=2, rules="torch").state_dict()
    got = load_file(tmp_path / "model.safetensors")
    assert sorted(got) == sorted(want)
    assert [k for k in want if not torch.equal(got[k], want[k])] == []
    assert not (tmp_path / "config.json").exists()  # a plain module has no config
