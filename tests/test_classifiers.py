"""The shipped models fit the content they were made from, and read text the same way as when
they were trained."""

from __future__ import annotations

import numpy as np
import pytest

from bot.crisis.semantic import CLASSES, DEFAULT_MODEL, CrisisClassifier, fingerprint
from bot.paths import content_dir
from bot.understanding.classifier import catalog_fingerprint
from bot.understanding.confidence import OUT_OF_SCOPE
from bot.understanding.embedding import MODEL_DIR, shared_embedder
from bot.understanding.engine import Engine
from bot.understanding.linear import LinearTextModel, ModelFileError
from bot.understanding.message import Message


def test_the_crisis_classifier_was_fitted_on_the_current_exemplars() -> None:
    model = CrisisClassifier()
    assert model.trained_on == fingerprint(content_dir() / "crisis_exemplars.yaml"), (
        "content/crisis_exemplars.yaml changed: run tools/train_classifiers.py crisis"
    )
    assert model.model.classes == CLASSES


def test_the_intent_classifier_was_fitted_on_the_current_catalog(engine: Engine) -> None:
    examples = {i.id: i.examples for i in engine.catalog.intents.values()}
    examples[OUT_OF_SCOPE] = engine.catalog.out_of_scope
    assert engine.classifier is not None, "the catalog changed: run tools/train_classifiers.py"
    assert engine.classifier.fingerprint == catalog_fingerprint(examples)
    assert set(engine.classifier.model.classes) == set(examples)


@pytest.mark.parametrize(
    "path",
    [DEFAULT_MODEL, DEFAULT_MODEL.parents[1] / "understanding" / "intents.npz"],
    ids=["crisis", "intents"],
)
def test_the_classifiers_keep_their_gram_weights_small(path) -> None:  # type: ignore[no-untyped-def]
    """float16 gram weights halve the memory the engine holds (tools/train_classifiers.py)."""
    with np.load(path, allow_pickle=False) as data:
        assert data["char_coef"].dtype == np.float16
        assert data["word_coef"].dtype == np.float16
    model = LinearTextModel(path, shared_embedder())
    probs = model.probabilities(["what is tolerance", "i want to end my life tonight"])
    assert probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_the_embedding_model_is_small_and_ships_with_the_package() -> None:
    files = {p.name: p.stat().st_size for p in MODEL_DIR.iterdir()}
    assert {"model.safetensors", "tokenizer.json", "config.json"} <= set(files)
    assert sum(files.values()) <= 16 * 1024 * 1024
    assert "/work/" not in (MODEL_DIR / "config.json").read_text(encoding="utf-8")


def test_similar_meanings_are_closer_than_different_ones() -> None:
    embed = shared_embedder()
    a, b, c = embed.encode(
        ["does addiction run in families", "is opioid addiction genetic", "how do i reset my phone"]
    )
    assert float(a @ b) > float(a @ c) + 0.1
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-3)


def test_the_embedder_pools_exactly_as_model2vec_encodes() -> None:
    # The embedder pools a message's word pieces itself (model2vec's own path costs three times
    # the work for one message); it must give model2vec's vectors, to the bit, on every kind of
    # text: long, unknown words, accents and emoji, nothing readable, past the length cut.
    embed = shared_embedder()
    texts = [
        "how long does methadone stay in my system after i stop",
        "my brother took too many pills and now he wont wake up pls help",
        "qxzvv blorpt",
        "é ü ñ 😀 ¿qué es la naloxona?",
        "",
        "x",
        "tolerance " * 2000,
    ]
    ours = embed.encode_normalized(texts)
    model = embed.model.encode(texts, use_multiprocessing=False)
    theirs = model / np.maximum(np.linalg.norm(model, axis=1, keepdims=True), 1e-9)
    assert ours.dtype == np.float32 and ours.shape == (len(texts), embed.dim)
    assert np.array_equal(ours, theirs.astype(np.float32))


def test_a_message_hashes_its_grams_once_for_both_classifiers() -> None:
    from bot.understanding.features import char_grams, gram_hashes, word_grams

    message = Message.read("Pills lined up, tonite", shared_embedder())
    assert message.char_hashes is message.char_hashes  # made once, then shared
    assert message.char_hashes.tolist() == [hash(g) for g in char_grams("pills lined up tonite")]
    assert message.word_hashes.tolist() == gram_hashes(word_grams("pills lined up tonite")).tolist()
    assert "pills lined" in word_grams(message.normalized)
    # a classifier reading the message gives what it gives for the plain text
    model = CrisisClassifier().model
    assert np.allclose(model.logits([message]), model.logits(["Pills lined up, tonite"]))


def test_messages_read_together_are_read_as_each_alone() -> None:
    # The sentences of a long message are embedded in one batch: each must come out as if read
    # on its own (an empty piece included).
    embed = shared_embedder()
    texts = ["I can't do this anymore.", "", "Dónde consigo NALOXONA??", "took it all " * 40]
    together = Message.read_all(texts, embed)
    for text, message in zip(texts, together, strict=True):
        alone = Message.read(text, embed)
        assert message.text == text and message.normalized == alone.normalized
        assert np.array_equal(message.vector, alone.vector)
    assert Message.read_all([], embed) == []


def test_an_empty_message_gives_a_zero_vector_and_no_error() -> None:
    vector = shared_embedder().encode([""])[0]
    assert not vector.any()
    assert CrisisClassifier().read("").alarm is False


def test_a_message_never_shows_its_text() -> None:
    message = Message.read("my secret words", shared_embedder())
    assert "secret" not in repr(message) and "secret" not in str(message)


def test_a_broken_model_file_is_named_in_the_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match=r"broken\.npz"):
        LinearTextModel(broken, shared_embedder())
    np.savez(tmp_path / "other.npz", something=np.zeros(3))
    with pytest.raises(ModelFileError, match=r"other\.npz"):
        LinearTextModel(tmp_path / "other.npz", shared_embedder())


def test_the_crisis_model_file_is_where_the_package_expects_it() -> None:
    assert DEFAULT_MODEL.is_file()


def test_a_gram_index_finds_every_known_gram_with_its_repeats_and_nothing_else() -> None:
    from collections import Counter

    from bot.understanding.features import GramIndex, tfidf

    vocab = ["pills", "lined", "lined up", "kms", "tonite"]
    index = GramIndex(vocab)
    grams = ["pills", "xyz", "lined up", "pills", "", "tonite"]
    assert sorted(index.columns(grams).tolist()) == [0, 0, 2, 4]
    assert index.columns([]).tolist() == [] and GramIndex([]).columns(["a"]).tolist() == []
    # the same TF-IDF vector as a plain dictionary gives
    idf = np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype=np.float32)
    as_dict = {g: i for i, g in enumerate(vocab)}
    a_cols, a_vals = tfidf(grams, index, idf)
    b_cols, b_vals = tfidf(grams, as_dict, idf)
    assert dict(zip(a_cols.tolist(), a_vals.tolist(), strict=True)) == pytest.approx(
        dict(zip(b_cols.tolist(), b_vals.tolist(), strict=True))
    )
    assert Counter(index.columns(grams).tolist())[0] == 2
