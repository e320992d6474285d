"""The conformance suite (準拠確認 and 相互接続確認) that vendors run against their adapters.

Filled by its own issue; the package exists so that the layout is installed as one product.
"""
