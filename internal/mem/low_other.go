//go:build unix && !((linux || freebsd) && amd64)

package mem

// mapLow is 0 where the system has no MAP_32BIT; reserve then asks for low
// hint addresses.
const mapLow = 0
