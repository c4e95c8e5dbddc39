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
    per_class_cap,
)
from jiesu.dispatch.ridge import KernelRidgeClassifier


def _many_classes(titles, n=600, classes=40):
    """Real titles with labels refined into many classes (first label × a hash of the title's first character)."""
    texts = [t for t, _ in titles[:n]]
    labels = [f"{label}-{ord(t[0]) % (classes // 7 + 1)}" for t, label in titles[:n]]
    return texts, labels


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
    assert newest_per_class(labels, 2) == [1, 3, 4, 5, 6]
    assert newest_per_class(labels, 1) == [4, 5, 6]
    assert newest_per_class(labels, 10) == list(range(7))


def test_per_class_cap_is_the_largest_that_fits_the_row_budget():
    labels = ["a"] * 5 + ["b"] * 2 + ["c"] * 5
    rows = [1, 1, 1, 1, 3] + [1, 1] + [2, 2, 2, 2, 2]  # newest last: a's newest takes 3 rows
    # cap 1: 3 + 1 + 2 = 6; cap 2: 4 + 2 + 4 = 10; cap 3: 5 + 2 + 6 = 13; cap 5: 7 + 2 + 10 = 19
    assert per_class_cap(labels, rows, 10) == 2
    assert per_class_cap(labels, rows, 12) == 2
    assert per_class_cap(labels, rows, 13) == 3
    assert per_class_cap(labels, rows, 100) == 5
    assert per_class_cap(labels, rows, 2) == 1  # never below one example per class


def test_many_classes_past_the_kernels_row_limit_train_on_the_newest_of_each(titles, messages):
    """Past kernel_max_rows (examples + body passages) a many-class model keeps each class's newest examples,
    as many as fit, so that it is still solved in one kernel form; the metadata says so."""
    texts, labels = _many_classes(titles, n=500)
    texts = [f"{t}\n{d}" for t, d, _ in messages[:60]] + texts  # the oldest: full messages, whose passages count as rows
    labels = [labels[i % len(labels)] for i in range(60)] + labels
    config = ClassifierConfig(calibrate=False, kernel_max_rows=300)
    clf = TextClassifier(config=config)
    kept_texts, kept_labels, cap = clf._newest_per_class(texts, labels)
    assert cap is not None and cap >= 1
    rows = len(kept_texts) + sum(len(body_passages(t)) for t in kept_texts)
    assert rows <= 300 < len(texts)
    assert kept_texts == [texts[i] for i in newest_per_class(labels, cap)]
    assert max(Counter(kept_labels).values()) == cap and set(kept_labels) == set(labels)
    vec, model = clf._fit_linear(kept_texts, kept_labels)
    assert isinstance(model, KernelRidgeClassifier)
    clf.fit(texts, labels)
    m = clf.meta
    assert m["per_class_cap"] == cap and m["n_train"] == len(kept_texts) and m["n_offered"] == len(texts)
    assert m["class_counts"] == dict(sorted(Counter(kept_labels).items()))
    everything = TextClassifier(config=ClassifierConfig(calibrate=False, kernel_max_rows=300, max_per_class=0))
    assert everything._newest_per_class(texts, labels) == (texts, labels, None)


def test_a_set_cap_applies_to_few_classes_too_and_the_rule_leaves_small_sets_alone(titles):
    texts, labels = [t for t, _ in titles[:400]], [l for _, l in titles[:400]]
    clf = TextClassifier(config=ClassifierConfig(calibrate=False, max_per_class=20)).fit(texts, labels)
    assert clf.meta["per_class_cap"] == 20 and set(clf.meta["class_counts"].values()) == {20}
    assert clf.meta["n_offered"] == 400
    auto = TextClassifier(config=ClassifierConfig(calibrate=False, kernel_max_rows=100))
    assert auto._newest_per_class(texts, labels) == (texts, labels, None)  # 7 classes: no kernel form to keep
    many, many_labels = _many_classes(titles)
    default = TextClassifier(config=ClassifierConfig(calibrate=False))
    assert default._newest_per_class(many, many_labels) == (many, many_labels, None)  # within 20,000 rows
