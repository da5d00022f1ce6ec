"""One module per backend; each has the same small interface.

A backend module defines ``NAME``, ``DESCRIPTION``, ``availability()``,
``refuses(x)`` (why it cannot take ``x``, or None), and ``softmax``,
``log_softmax`` and ``logsumexp``, each taking a
:class:`pysoftmax._request.Request`.  ``logsumexp`` keeps the reduced axes
with size 1; the front door drops them unless ``keepdims``.  A result may
come back in a wider floating dtype than the request's (the generic backend
computes in float64): the front door rounds it, once, to the caller's dtype.
A backend may also define ``computes_natively(dtype)``: True where it takes
``x`` of that narrower dtype (float16, bfloat16) as it is, instead of a copy
in the compute dtype (float32), and returns the result in that dtype.
"""
