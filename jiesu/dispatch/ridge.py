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

The n × n matrix is kept in single precision, its lower triangle only, which is all the factorisation reads
(4n² bytes written; the row count it is used for is bounded, ``KernelRidgeClassifier.fits``). The solution is
then refined once against the exact double-precision system, computed from the sparse rows (mixed-precision
iterative refinement): single precision alone is ~3e-5 off, one refinement ~1e-9.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

# rows of X Xᵀ computed (and centred) at a time: temporaries of 500 × n and the block's sparse product. 2,000
# peaked 320–420 MB higher for no speed (demo city 63.1 → 59.8 s, 2.62 → 2.30 GB; docs/dispatch.md)
KERNEL_BLOCK_ROWS = 500
COMMON_FEATURE_SHARE = 0.05  # features in at least this share of the rows: their part of X Xᵀ by dense products
REFINE_CLASSES = 64  # classes refined at a time: a features × 64 temporary
CHOLESKY_BLOCK = 2048  # columns of the kernel factored at a time (solve_positive_definite)
MIN_CLASSES = 16  # from this many classes on, one solve for all of them pays off


class KernelRidgeClassifier:
    """``RidgeClassifier(alpha, class_weight)``'s model for sparse data with more features than rows:
    ``classes_``, ``coef_`` (classes × features; 1-d for two classes), ``intercept_``,
    ``decision_function``."""

    def __init__(self, alpha: float = 1.0, class_weight: str | None = "balanced", coef_dtype=np.float64):
        """``coef_dtype`` np.float32: ``coef_`` in single precision, as the dispatch model stores it, computed a
        slice of classes at a time, so that no features × classes array of doubles is ever made (1.4 GB for
        477,619 features and 372 classes; ``coef_`` is then a transposed view of a features × classes array)."""
        if class_weight not in ("balanced", None):
            raise ValueError(f"class_weight must be 'balanced' or None, not {class_weight!r}")
        self.alpha = float(alpha)
        self.class_weight = class_weight
        self.coef_dtype = np.dtype(coef_dtype)

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
        X = sp.csr_matrix(X).astype(np.float64, copy=True)  # scaled in place below; the caller's is left alone
        x_mean = np.asarray(X.T @ weights).ravel() / weights.sum()
        y_mean = weights @ Y / weights.sum()
        root = np.sqrt(weights)
        X.data *= np.repeat(root, np.diff(X.indptr))  # the weighted rows, without a second copy of X
        centred = _Centred(X, root, x_mean)
        B = (Y - y_mean) * root[:, None]
        K = self._kernel(centred)
        Z = solve_positive_definite(K, B.astype(np.float32)).astype(np.float64)
        Z += solve_positive_definite(K, self._residual(centred, B, Z).astype(np.float32), factored=True)
        del K
        coef, self.intercept_ = self._primal(centred, Z, x_mean, y_mean)
        self.coef_ = coef.T
        if len(self.coef_) == 1:  # two classes: one column, kept 1-d as scikit-learn does
            self.coef_, self.intercept_ = self.coef_[0], float(self.intercept_[0])
        return self

    def _kernel(self, centred):
        """The lower triangle of (Xc Xcᵀ + αI) in single precision, Xc the centred rows, without forming Xc.

        The features most rows share (single characters, common pairs) make almost every entry non-zero: their
        part is a dense product, which also centres (two more columns); the rest's is a sparse one. Both are
        written into buffers reused from block to block (fresh ones cost as much in page faults as the work).
        Measured on the demo city's 20,000 rows: 35 s all sparse, 8.1 s so, 3 s of which are the first touch of
        the matrix's pages (docs/dispatch.md)."""
        Xs, root = centred.rows, centred.root
        n = Xs.shape[0]
        common = np.bincount(Xs.indices, minlength=Xs.shape[1]) >= COMMON_FEATURE_SHARE * n
        dense = Xs[:, np.flatnonzero(common)].toarray()
        shift = Xs @ centred.mean
        left = np.column_stack([dense, shift, root]).astype(np.float32)
        right = np.column_stack([dense, -root, (centred.mean @ centred.mean) * root - shift]).astype(np.float32)
        del dense
        rare = Xs[:, np.flatnonzero(~common)].tocsr()
        rare_t = rare.T  # compressed by columns: the first `stop` rows' columns are a cheap slice
        sparse_part = np.empty(min(KERNEL_BLOCK_ROWS, n) * n)
        dense_part = np.empty(min(KERNEL_BLOCK_ROWS, n) * n, dtype=np.float32)
        K = np.empty((n, n), dtype=np.float32)
        for start in range(0, n, KERNEL_BLOCK_ROWS):
            stop = min(start + KERNEL_BLOCK_ROWS, n)
            part = sparse_part[:(stop - start) * stop].reshape(stop - start, stop)
            part.fill(0.0)
            (rare[start:stop] @ rare_t[:, :stop]).toarray(out=part)
            product = dense_part[:(stop - start) * stop].reshape(stop - start, stop)
            np.matmul(left[start:stop], right[:stop].T, out=product)
            np.add(part, product, out=K[start:stop, :stop], casting="same_kind")
        K[np.diag_indices(n)] += self.alpha
        return K

    def _primal(self, centred, Z, x_mean, y_mean):
        """W = Xcᵀ Z (features × classes, in coef_dtype) and the intercepts ȳ − x̄ W, REFINE_CLASSES classes at
        a time in double precision: the only double temporaries are features × REFINE_CLASSES."""
        coef = np.empty((len(x_mean), Z.shape[1]), dtype=self.coef_dtype)
        intercept = np.empty(Z.shape[1])
        for start in range(0, Z.shape[1], REFINE_CLASSES):
            part = slice(start, start + REFINE_CLASSES)
            block = centred.transposed_times(Z[:, part])
            coef[:, part] = block
            intercept[part] = y_mean[part] - x_mean @ block
        return coef, intercept

    def _residual(self, centred, B, Z):
        """B − (Xc Xcᵀ + αI) Z in double precision, from the sparse rows: the system the single-precision
        factor only approximates. A slice of classes at a time (features × REFINE_CLASSES)."""
        R = B - self.alpha * Z
        for start in range(0, Z.shape[1], REFINE_CLASSES):
            part = slice(start, start + REFINE_CLASSES)
            R[:, part] -= centred.times(centred.transposed_times(Z[:, part]))
        return R

    def decision_function(self, X):
        return np.asarray(X @ self.coef_.T + self.intercept_)


class _Centred:
    """Xc = rows − root meanᵀ (the weighted rows centred), applied without forming it: Xc stays sparse."""

    def __init__(self, rows, root, mean):
        self.rows, self.root, self.mean = rows, root, mean
        self.rows_t = rows.T.tocsr()

    def times(self, V):
        """Xc V."""
        return self.rows @ V - np.outer(self.root, self.mean @ V)

    def transposed_times(self, Z):
        """Xcᵀ Z, a slice of features at a time: no second features × classes array."""
        out = self.rows_t @ Z
        weighted = self.root @ Z
        for start in range(0, len(out), 65536):
            out[start:start + 65536] -= np.outer(self.mean[start:start + 65536], weighted)
        return out


def solve_positive_definite(K, B, block=CHOLESKY_BLOCK, factored=False):
    """Z with K Z = B, for a symmetric positive definite K (C order) given by its lower triangle (the upper one
    is never read), which is overwritten by its Cholesky factor; ``factored``: K already is that factor.

    Factored a block of columns at a time: LAPACK factors only the diagonal blocks, the rest is matrix products
    and triangular solves. LAPACK factoring the whole matrix (``scipy.linalg.solve(assume_a="pos")``) killed
    the process with a segmentation fault in OpenBLAS's threaded code (numpy 2.4.6 / scipy 1.17.1 wheels, AMD
    EPYC, 2 threads) from about 15,800 rows on, while 15,000 passed: ``jiesu dispatch train --from-tickets`` on
    the demo city's 20,406 tickets. A product of two large matrices crashed the same way, so none is formed
    here. Measured at 20,000 rows and 521 classes, double precision: 40 s to factor and 4.5 s to solve (LAPACK's
    factorisation on one thread, which did not crash: 61 s).
    """
    n = len(K)
    for start in range(0, 0 if factored else n, block):
        end = min(start + block, n)
        diagonal = np.tril(K[start:end, start:end])
        diagonal += np.tril(diagonal, -1).T
        K[start:end, start:end] = np.linalg.cholesky(diagonal)
        if end == n:
            break
        K[end:, start:end] = scipy.linalg.solve_triangular(K[start:end, start:end], K[end:, start:end].T,
                                                           lower=True, check_finite=False).T
        panel = K[end:, start:end]
        for row in range(end, n, block):  # the trailing matrix's lower part, a block of rows at a time
            stop = min(row + block, n)
            K[row:stop, end:stop] -= panel[row - end:stop - end] @ panel[:stop - end].T
    B = np.asarray(B, dtype=K.dtype)
    forward = scipy.linalg.solve_triangular(K, B, lower=True, check_finite=False)
    return scipy.linalg.solve_triangular(K, forward, lower=True, trans="T", check_finite=False, overwrite_b=True)
