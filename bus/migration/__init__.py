"""データ移行: the 中間標準レイアウト (layouts as data), its streaming validator, extracts'
manifests and their reconciliation. Pure: files and streams in, findings out; no Twisted."""
