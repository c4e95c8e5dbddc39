"""One-vs-rest ridge classification solved once for every class (pure: numpy, scipy, scikit-learn helpers).

scikit-learn's ``RidgeClassifier(solver="sparse_cg")`` runs conjugate gradients
class after class. A catalogue of hundreds of categories makes that hundreds of
solves over the same matrix: 49 s for 4,000 tickets of 330 categories, and
603 s for 16,000 of 454 (docs/dispatch.md). Text features outnumber the rows, so the
same model is the kernel form: with X the centred, sample-weighted rows,

    (X Xᵀ + αI) Z = Y,   W = Xᵀ Z,   intercept = ȳ − x̄ W,

one n × n Cholesky factorisation for all classes at once (7.5 s for those
4,000). It is the same minimiser scikit-learn's iterations approach (equal to
~1e-4, their tolerance), with the same class-balanced weights and intercept.
The n × n matrix costs 8n² bytes, so the row count it is used for is bounded
(``KernelRidgeClassifier.fits``).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

KERNEL_BLOCK_ROWS = 2000  # rows of X Xᵀ computed (and centred) at a time: temporaries of 2000 × n
CHOLESKY_BLOCK = 2048  # columns of the kernel factored at a time (solve_positive_definite)
MIN_CLASSES = 16  # from this many classes on, one solve for all of them pays off


class KernelRidgeClassifier:
    """``RidgeClassifier(alpha, class_weight)``'s model for sparse data with more features than rows:
    ``classes_``, ``coef_`` (classes × features; 1-d for two classes), ``intercept_``,
    ``decision_function``."""

    def __init__(self, alpha: float = 1.0, class_weight: str | None = "balanced"):
        if class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None, not {class_weight!r}")
        self.alpha = float(alpha)
        self.class_weight = class_weight

    @staticmethod
    def fits(n_rows: int, n_features: int, n_classes: int, max_rows: int) -> bool:
        """Whether the kernel form is the faster and affordable one: more features than rows, enough
        classes that solving them together pays off, and an n × n matrix within ``max_rows``."""
        return n_classes >= MIN_CLASSES and n_features > n_rows and 0 < n_rows <= max_rows

    def fit(self, X, y, sample_weight=None) -> "KernelRidgeClassifier":
        from sklearn.preprocessing import LabelBinarizer
        from sklearn.utils.class_weight import compute_class_weight

        y = np.asarray(y)
        binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
        Y = binarizer.fit_transform(y).astype(np.float64)
        self.classes_ = binarizer.classes_
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if self.class_weight == "balanced":
            per_class = compute_class_weight("balanced", classes=self.classes_, y=y)
            weights = weights * per_class[np.searchsorted(self.classes_, y)]
        X = sp.csr_matrix(X, dtype=np.float64)
        x_mean = np.asarray(X.T @ weights).ravel() / weights.sum()
        y_mean = weights @ Y / weights.sum()
        root = np.sqrt(weights)
        Xs = sp.csr_matrix(sp.diags(root) @ X)
        XsT = Xs.T.tocsr()
        K = self._kernel(Xs, XsT, x_mean, root)
        Z = solve_positive_definite(K, (Y - y_mean) * root[:, None])
        del K
        coef = XsT @ Z
        weighted_z = root @ Z
        # − x̄ (root·Z), a slice at a time: no second features × classes array
        for start in range(0, len(coef), 65536):
            coef[start:start + 65536] -= np.outer(x_mean[start:start + 65536], weighted_z)
        self.coef_, self.intercept_ = coef.T, y_mean - x_mean @ coef
        if len(self.coef_) == 1:  # two classes: one column, kept 1-d as scikit-learn does
            self.coef_, self.intercept_ = self.coef_[0], float(self.intercept_[0])
        return self

    def _kernel(self, Xs, XsT, x_mean, root):
        """(Xc Xcᵀ + αI) for Xc = Xs − root x̄ᵀ, the centred rows, without forming Xc."""
        n = Xs.shape[0]
        K = np.empty((n, n))
        centred, mean_square = Xs @ x_mean, x_mean @ x_mean
        for start in range(0, n, KERNEL_BLOCK_ROWS):
            rows = slice(start, start + KERNEL_BLOCK_ROWS)
            block = K[rows]
            block[:] = (Xs[rows] @ XsT).toarray()
            block -= np.outer(centred[rows], root)
            block -= np.outer(root[rows], centred)
            block += np.outer(mean_square * root[rows], root)
        K[np.diag_indices(n)] += self.alpha
        return K

    def decision_function(self, X):
        return np.asarray(X @ self.coef_.T + self.intercept_)


def solve_positive_definite(K, B, block=CHOLESKY_BLOCK):
    """Z with K Z = B, for a symmetric positive definite K (C order), which is overwritten by its Cholesky factor.

    Factored a block of columns at a time: LAPACK factors only the diagonal blocks, the rest is matrix products
    and triangular solves. LAPACK factoring the whole matrix (``scipy.linalg.solve(assume_a="pos")``) killed
    the process with a segmentation fault in OpenBLAS's threaded code (numpy 2.4.6 / scipy 1.17.1 wheels, AMD
    EPYC, 2 threads) from about 15,800 rows on, while 15,000 passed: ``jiesu dispatch train --from-tickets`` on
    the demo city's 20,406 tickets. A product of two large matrices crashed the same way, so none is formed
    here. Measured at 20,000 rows and 521 classes: 40 s to factor and 4.5 s to solve (LAPACK's factorisation
    on one thread, which did not crash: 61 s).
    """
    n = len(K)
    for start in range(0, n, block):
        end = min(start + block, n)
        K[start:end, start:end] = np.linalg.cholesky(K[start:end, start:end])
        if end == n:
            break
        K[end:, start:end] = scipy.linalg.solve_triangular(K[start:end, start:end], K[end:, start:end].T,
                                                           lower=True, check_finite=False).T
        panel = K[end:, start:end]
        for row in range(end, n, block):  # the trailing matrix's lower part, a block of rows at a time
            stop = min(row + block, n)
            K[row:stop, end:stop] -= panel[row - end:stop - end] @ panel[:stop - end].T
    forward = scipy.linalg.solve_triangular(K, B, lower=True, check_finite=False)
    return scipy.linalg.solve_triangular(K, forward, lower=True, trans="T", check_finite=False, overwrite_b=True)
