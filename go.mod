module github.com/kasirpos/kasir

go 1.26.8
