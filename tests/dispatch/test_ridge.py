"""The kernel-form ridge gives scikit-learn's RidgeClassifier model, for every class in one solve."""
import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifier

from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier, _Features
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
