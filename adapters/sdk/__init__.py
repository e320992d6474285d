"""The adapter SDK: connect a vendor system to the hub (docs/adapter-sdk.md).

``provider`` (spyne inside Twisted) answers services, ``consumer`` (zeep) calls them, ``testing``
runs both on loopback with a hub stand-in. Import the submodules: nothing is imported here, so a
consumer-only adapter never loads spyne.
"""
