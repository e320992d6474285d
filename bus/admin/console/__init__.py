"""The web console's pages: HTML rendered on the server from escaped values, one stylesheet,
no scripts from elsewhere (no CDN, no build step). Pure functions of what they are given."""
