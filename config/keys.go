package config

import (
	"maps"
	"slices"
)

// FileObject names one kind of object of the file whose keys this package
// decodes itself (namespaces are decoded by their packages).
type FileObject string

// The objects of the file config decodes.
const (
	ServiceObject  FileObject = "service"
	EndpointObject FileObject = "endpoint"
	BackendObject  FileObject = "backend"
	TLSObject      FileObject = "tls"
)

// KeyKind is the JSON type of a key's value, as the decoder reads it.
type KeyKind uint8

// The kinds of keys.
const (
	KeyString      KeyKind = iota + 1 // a string
	KeyBool                           // true or false
	KeyInt                            // a whole number
	KeyDuration                       // a duration string ("1500ms")
	KeyStrings                        // an array of strings
	KeyStringMap                      // an object of strings
	KeyTLS                            // the tls object (TLSObject)
	KeyEndpoints                      // the array of endpoints (EndpointObject)
	KeyBackends                       // the array of backends (BackendObject)
	KeyExtraConfig                    // an extra_config object of namespaces
	KeyKeyPairs                       // an array of {public_key, private_key} objects
)

// Key is one key the decoder reads in an object of the file.
type Key struct {
	// Name is the key as written in the file.
	Name string
	// Kind is the type of its value.
	Kind KeyKind
	// Enum, when set, lists the only values accepted, or with Lenient the
	// values the decoder knows.
	Enum []string
	// Lenient keys take a value outside Enum with a warning, as KrakenD
	// does (an unknown encoding is read as json).
	Lenient bool
	// Required keys must be present.
	Required bool
}

// keyTables lists, for each object, every key the decoder asks for; the
// decoder panics if it asks for a key missing here, and the tests check
// that each key listed is read with its kind, so the table and the decoder
// agree. The JSON Schema of the file (lambdagate schema) is built from it.
var keyTables = map[FileObject][]Key{
	ServiceObject: {
		{Name: "version", Kind: KeyInt, Required: true},
		{Name: "name", Kind: KeyString},
		{Name: "port", Kind: KeyInt},
		{Name: "listen_ip", Kind: KeyString},
		{Name: "timeout", Kind: KeyDuration},
		{Name: "cache_ttl", Kind: KeyDuration},
		{Name: "host", Kind: KeyStrings},
		{Name: "output_encoding", Kind: KeyString, Enum: sortedKeys(outputEncodings), Lenient: true},
		{Name: "read_timeout", Kind: KeyDuration},
		{Name: "write_timeout", Kind: KeyDuration},
		{Name: "idle_timeout", Kind: KeyDuration},
		{Name: "read_header_timeout", Kind: KeyDuration},
		{Name: "max_header_bytes", Kind: KeyInt},
		{Name: "max_shutdown_wait_time", Kind: KeyDuration},
		{Name: "debug_endpoint", Kind: KeyBool},
		{Name: "echo_endpoint", Kind: KeyBool},
		{Name: "dialer_timeout", Kind: KeyDuration},
		{Name: "dialer_keep_alive", Kind: KeyDuration},
		{Name: "disable_keep_alives", Kind: KeyBool},
		{Name: "disable_compression", Kind: KeyBool},
		{Name: "max_idle_connections", Kind: KeyInt},
		{Name: "max_idle_connections_per_host", Kind: KeyInt},
		{Name: "idle_connection_timeout", Kind: KeyDuration},
		{Name: "response_header_timeout", Kind: KeyDuration},
		{Name: "tls", Kind: KeyTLS},
		{Name: "extra_config", Kind: KeyExtraConfig},
		{Name: "endpoints", Kind: KeyEndpoints},
	},
	EndpointObject: {
		{Name: "endpoint", Kind: KeyString, Required: true},
		{Name: "method", Kind: KeyString},
		{Name: "timeout", Kind: KeyDuration},
		{Name: "cache_ttl", Kind: KeyDuration},
		{Name: "concurrent_calls", Kind: KeyInt},
		{Name: "input_headers", Kind: KeyStrings},
		{Name: "input_query_strings", Kind: KeyStrings},
		{Name: "output_encoding", Kind: KeyString, Enum: sortedKeys(outputEncodings), Lenient: true},
		{Name: "extra_config", Kind: KeyExtraConfig},
		{Name: "backend", Kind: KeyBackends, Required: true},
	},
	BackendObject: {
		{Name: "url_pattern", Kind: KeyString, Required: true},
		{Name: "host", Kind: KeyStrings},
		{Name: "method", Kind: KeyString},
		{Name: "encoding", Kind: KeyString, Enum: sortedKeys(backendEncodings), Lenient: true},
		{Name: "group", Kind: KeyString},
		{Name: "target", Kind: KeyString},
		{Name: "mapping", Kind: KeyStringMap},
		{Name: "allow", Kind: KeyStrings},
		{Name: "deny", Kind: KeyStrings},
		{Name: "is_collection", Kind: KeyBool},
		{Name: "input_headers", Kind: KeyStrings},
		{Name: "input_query_strings", Kind: KeyStrings},
		{Name: "sd", Kind: KeyString, Enum: []string{"static"}},
		{Name: "disable_host_sanitize", Kind: KeyBool},
		{Name: "extra_config", Kind: KeyExtraConfig},
	},
	TLSObject: {
		{Name: "disabled", Kind: KeyBool},
		{Name: "public_key", Kind: KeyString},
		{Name: "private_key", Kind: KeyString},
		{Name: "min_version", Kind: KeyString, Enum: tlsVersions},
		{Name: "max_version", Kind: KeyString, Enum: tlsVersions},
		{Name: "keys", Kind: KeyKeyPairs},
	},
}

// unsupportedKeys are, for each object, the known KrakenD keys lambdagate
// does not implement: warned about, not refused.
var unsupportedKeys = map[FileObject]map[string]string{
	ServiceObject:  unsupportedService,
	EndpointObject: unsupportedEndpoint,
	BackendObject:  unsupportedBackend,
	TLSObject:      unsupportedTLS,
}

var tlsVersions = []string{"TLS12", "TLS13"}

// keySets are keyTables' names, for the decoder's check.
var keySets = func() map[FileObject]map[string]bool {
	out := map[FileObject]map[string]bool{}
	for obj, keys := range keyTables {
		set := map[string]bool{}
		for _, k := range keys {
			set[k.Name] = true
		}
		out[obj] = set
	}
	return out
}()

// Keys lists the keys the decoder reads in an object of the file, in the
// order it reads them.
func Keys(obj FileObject) []Key {
	return slices.Clone(keyTables[obj])
}

// UnsupportedKeys returns the known KrakenD keys of an object that
// lambdagate accepts with a warning, each with why it is safe to ignore.
func UnsupportedKeys(obj FileObject) map[string]string {
	return maps.Clone(unsupportedKeys[obj])
}

func sortedKeys(m map[string]bool) []string {
	return slices.Sorted(maps.Keys(m))
}
