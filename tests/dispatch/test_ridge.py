"""The kernel-form ridge gives scikit-learn's RidgeClassifier model, for every class in one solve; past its
row limit a many-class model trains on the newest examples of each class."""
from collections import Counter

import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifier

from jiesu.dispatch.classifier import (
    ClassifierConfig,
    TextClassifier,
    _Features,
    body_passages,
    newest_per_class,
    quota_of_share,
    share_that_fits,
)
from jiesu.dispatch.ridge import KernelRidgeClassifier, solve_positive_definite


def _many_classes(titles, n=600, classes=40):
    """Real titles with labels refined into many classes (first label × a hash of the title's first character)."""
    texts = [t for t, _ in titles[:n]]
    labels = [f"{label}-{ord(t[0]) % (classes // 7 + 1)}" for t, label in titles[:n]]
    return texts, labels


@pytest.mark.parametrize("block", [7, 50, 64])  # several blocks with a short last one; one block; one larger
def test_the_blocked_cholesky_solves_as_lapack_does(block):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((50, 20))
    K, B = a @ a.T + 0.5 * np.eye(50), rng.standard_normal((50, 9))
    expected = np.linalg.solve(K, B)
    factor = K.copy()
    assert np.allclose(solve_positive_definite(factor, B.copy(), block=block), expected, atol=1e-10)
    L = np.tril(factor)  # the factor, in the lower triangle
    assert np.allclose(L @ L.T, K, atol=1e-10)


def test_the_factorisation_never_reads_the_upper_triangle():
    rng = np.random.default_rng(4)
    a = rng.standard_normal((40, 30))
    K, B = a @ a.T + 0.5 * np.eye(40), rng.standard_normal((40, 5))
    lower = np.tril(K) + np.triu(np.full_like(K, np.nan), 1)
    assert np.allclose(solve_positive_definite(lower, B.copy(), block=16), np.linalg.solve(K, B), atol=1e-10)


def test_the_single_precision_kernel_is_refined_to_the_double_precision_solution(titles):
    """The kernel is stored and factored in float32 (3e-5 off alone); one refinement against the sparse rows
    gives the exact double-precision minimiser."""
    texts, labels = _many_classes(titles)
    X = _Features(ClassifierConfig()).fit_transform(texts).astype(np.float64)
    weights = np.random.default_rng(1).uniform(0.3, 1.0, len(texts))
    model = KernelRidgeClassifier(alpha=0.5, class_weight=None).fit(X, labels, sample_weight=weights)
    Y = np.where(np.array(labels)[:, None] == model.classes_[None, :], 1.0, -1.0)
    root, x_mean = np.sqrt(weights), (weights @ X.toarray()) / weights.sum()
    Xc = root[:, None] * (X.toarray() - x_mean)
    Z = np.linalg.solve(Xc @ Xc.T + 0.5 * np.eye(len(texts)), root[:, None] * (Y - weights @ Y / weights.sum()))
    exact = Xc.T @ Z
    assert np.abs(model.coef_.T - exact).max() < 1e-9 * np.abs(exact).max()


def test_single_precision_weights_are_the_double_ones_rounded_a_slice_of_classes_at_a_time(titles, monkeypatch):
    """coef_dtype float32 (the dispatch model's): the weights are computed 7 classes at a time here and never
    held as doubles whole; each equals the double-precision weight rounded, the intercepts are the same."""
    from jiesu.dispatch import ridge

    texts, labels = _many_classes(titles)
    X = _Features(ClassifierConfig()).fit_transform(texts)
    double = KernelRidgeClassifier(alpha=0.5).fit(X, labels)
    monkeypatch.setattr(ridge, "REFINE_CLASSES", 7)
    single = KernelRidgeClassifier(alpha=0.5, coef_dtype=np.float32).fit(X, labels)
    assert single.coef_.dtype == np.float32 and single.coef_.T.flags.c_contiguous  # features × classes
    assert np.abs(single.coef_ - double.coef_.astype(np.float32)).max() <= 1e-7 * np.abs(double.coef_).max()
    assert np.abs(single.intercept_ - double.intercept_).max() < 1e-12


@pytest.mark.parametrize("balanced", [True, False])
def test_kernel_form_equals_scikit_learn(titles, balanced):
    texts, labels = _many_classes(titles)
    X = _Features(ClassifierConfig()).fit_transform(texts)
    weights = np.random.default_rng(0).uniform(0.3, 1.0, len(texts))
    cw = "balanced" if balanced else None
    ours = KernelRidgeClassifier(alpha=0.5, class_weight=cw).fit(X, labels, sample_weight=weights)
    ref = RidgeClassifier(alpha=0.5, class_weight=cw, solver="sparse_cg", tol=1e-8).fit(X, labels, sample_weight=weights)
    assert list(ours.classes_) == list(ref.classes_) and len(ours.classes_) > 16
    assert np.abs(ours.coef_ - ref.coef_).max() < 1e-5
    assert np.abs(ours.intercept_ - ref.intercept_).max() < 1e-5
    assert np.abs(ours.decision_function(X) - ref.decision_function(X)).max() < 1e-5


def test_two_classes_keep_scikit_learns_shapes(titles):
    texts = [t for t, _ in titles[:300]]
    labels = ["城乡建设" if label == "城乡建设" else "其他" for _, label in titles[:300]]
    X = _Features(ClassifierConfig()).fit_transform(texts)
    ours = KernelRidgeClassifier(alpha=0.5).fit(X, labels)
    ref = RidgeClassifier(alpha=0.5, class_weight="balanced", solver="sparse_cg", tol=1e-8).fit(X, labels)
    assert ours.coef_.shape == ref.coef_.shape == (X.shape[1],)
    assert np.abs(ours.decision_function(X) - ref.decision_function(X)).max() < 1e-5


def test_the_classifier_uses_it_for_many_classes_only(titles):
    assert KernelRidgeClassifier.fits(1000, 5000, 40, 20_000)
    assert not KernelRidgeClassifier.fits(1000, 5000, 7, 20_000)  # few classes: one CG per class is faster
    assert not KernelRidgeClassifier.fits(30_000, 90_000, 40, 20_000)  # an n × n matrix past the limit
    assert not KernelRidgeClassifier.fits(1000, 500, 40, 20_000)  # more rows than features
    texts, labels = _many_classes(titles)
    kernel = TextClassifier(config=ClassifierConfig(calibrate=False))
    cg = TextClassifier(config=ClassifierConfig(calibrate=False, kernel_max_rows=0))
    vec, model = kernel._fit_linear(texts, labels)
    assert isinstance(model, KernelRidgeClassifier)
    assert isinstance(cg._fit_linear(texts, labels)[1], RidgeClassifier)
    a, b = kernel.fit(texts, labels), cg.fit(texts, labels)
    assert a.predict(texts) == b.predict(texts)
    assert np.abs(np.array([a.decision_scores(t) for t in texts[:50]])
                  - np.array([b.decision_scores(t) for t in texts[:50]])).max() < 1e-3


def test_class_weights_it_does_not_implement_are_refused():
    with pytest.raises(ValueError, match="class_weight"):
        KernelRidgeClassifier(alpha=0.5, class_weight={"a": 2.0})


def test_newest_per_class_keeps_the_last_examples_of_each_label_in_order():
    labels = ["a", "b", "a", "a", "c", "b", "a"]
    assert newest_per_class(labels, {"a": 2, "b": 2, "c": 2}) == [1, 3, 4, 5, 6]
    assert newest_per_class(labels, {"a": 1, "b": 0, "c": 1}) == [4, 6]
    assert newest_per_class(labels, dict.fromkeys("abc", 10)) == list(range(7))


def test_quota_of_a_share_rounds_up_with_a_floor_and_never_past_the_class():
    assert quota_of_share({"a": 100, "b": 7, "c": 3}, 0.25, 5) == {"a": 25, "b": 5, "c": 3}
    assert quota_of_share({"a": 100, "b": 7}, 0.101, 0) == {"a": 11, "b": 1}


def test_the_share_that_fits_is_the_largest_within_the_row_budget():
    labels = ["a"] * 10 + ["b"] * 2
    rows = [1] * 9 + [3] + [2, 2]  # newest last: a's newest takes 3 rows
    # share 1: 12 + 4 = 16 rows; 0.5: a 5 newest = 7, b 1 = 2 → 9; floor 1 alone: 3 + 2 = 5
    assert share_that_fits(labels, rows, 16, 1) == 1.0
    share = share_that_fits(labels, rows, 9, 1)
    assert 0.5 <= share < 0.6
    quota = quota_of_share({"a": 10, "b": 2}, share, 1)
    assert quota == {"a": 5, "b": 1}
    assert sum(rows[i] for i in newest_per_class(labels, quota)) <= 9
    assert share_that_fits(labels, rows, 4, 1) == 0.0  # the floor alone is too much: the floor it is
    assert share_that_fits(labels, rows, 9, 2) < share  # a larger floor leaves less for the share


def test_many_classes_past_the_kernels_row_limit_keep_the_newest_share_of_each(titles, messages):
    """Past kernel_max_rows (examples + body passages) a many-class model keeps the same newest share of every
    class, at least min_per_class of each, so that it is still solved in one kernel form; the metadata says so."""
    texts, labels = _many_classes(titles, n=500)
    texts = [f"{t}\n{d}" for t, d, _ in messages[:60]] + texts  # the oldest: full messages, whose passages are rows
    labels = [labels[i % len(labels)] for i in range(60)] + labels
    clf = TextClassifier(config=ClassifierConfig(calibrate=False, kernel_max_rows=300, min_per_class=2))
    kept_texts, kept_labels, how = clf._training_sample(texts, labels)
    assert how["min_per_class"] == 2 and 0 < how["share"] < 1
    rows = len(kept_texts) + sum(len(body_passages(t)) for t in kept_texts)
    assert rows <= 300 < len(texts)
    counts = Counter(labels)
    quota = quota_of_share(counts, how["share"], 2)
    assert kept_texts == [texts[i] for i in newest_per_class(labels, quota)]
    assert all(Counter(kept_labels)[c] >= min(2, n) for c, n in counts.items())
    assert isinstance(clf._fit_linear(kept_texts, kept_labels)[1], KernelRidgeClassifier)
    clf.fit(texts, labels)
    m = clf.meta
    assert m["training_sample"] == how and m["n_train"] == len(kept_texts) and m["n_offered"] == len(texts)
    assert m["class_counts"] == dict(sorted(Counter(kept_labels).items()))
    everything = TextClassifier(config=ClassifierConfig(calibrate=False, kernel_max_rows=300, max_per_class=0))
    assert everything._training_sample(texts, labels) == (texts, labels, None)


def test_a_set_cap_applies_to_few_classes_too_and_the_rule_leaves_small_sets_alone(titles):
    texts, labels = [t for t, _ in titles[:400]], [l for _, l in titles[:400]]
    clf = TextClassifier(config=ClassifierConfig(calibrate=False, max_per_class=20)).fit(texts, labels)
    assert clf.meta["training_sample"] == {"max_per_class": 20} and set(clf.meta["class_counts"].values()) == {20}
    assert clf.meta["n_offered"] == 400
    auto = TextClassifier(config=ClassifierConfig(calibrate=False, kernel_max_rows=100))
    assert auto._training_sample(texts, labels) == (texts, labels, None)  # 7 classes: no kernel form to keep
    many, many_labels = _many_classes(titles)
    default = TextClassifier(config=ClassifierConfig(calibrate=False))
    assert default._training_sample(many, many_labels) == (many, many_labels, None)  # within 20,000 rows
