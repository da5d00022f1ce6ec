"""One module per backend; each has the same small interface.

A backend module defines ``NAME``, ``DESCRIPTION``, ``availability()``,
``refuses(x)`` (why it cannot take ``x``, or None), and ``softmax``,
``log_softmax`` and ``logsumexp``, each taking a
:class:`pysoftmax._request.Request`.  ``logsumexp`` keeps the reduced axes
with size 1; the front door drops them unless ``keepdims``.  A result may
come back in a wider floating dtype than the request's (the generic backend
computes in float64): the front door rounds it, once, to the caller's dtype.

Optional: ``FEATURES``, a set naming what the backend computes itself:
``"where"`` (a mask in ``Request.where``) and ``"temperature_array"`` (one
temperature per row).  Without ``"where"``, the front door masks for the
backend (masked entries set to -inf, rows with nothing included filled);
without ``"temperature_array"``, per-row temperatures go to the generic
backend (:mod:`pysoftmax._backends.array_api`) on the same array.
``"out"``: the backend writes ``Request.out`` itself.  ``"weights"``: its
``logsumexp`` takes ``Request.weights`` (``b=``) and then returns
``(value, sign)``; without it the front door computes a weighted logsumexp
on the host, through the C core.

Optional: ``computes_natively(dtype, result_dtype)``, True where the backend
takes ``x`` of that narrower dtype (float16, bfloat16) as it is, instead of a
copy in the compute dtype (float32), and returns the result in
``result_dtype`` (``Request.result_dtype``).  The front door asks it only
for calls without a mask or per-row temperatures.
"""
