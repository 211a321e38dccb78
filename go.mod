module github.com/idemproxy/idemproxy

go 1.26
