"""The interop runner: plays AVP clients against AVP servers and reports a compatibility matrix.

``avp interop run`` (the matrix), ``avp interop conformance URL`` (the black-box server suite),
``avp interop list`` (the registry, scenarios and checks). See docs/interop.md.
"""
