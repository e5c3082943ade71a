package http

// benchParams are the params of /users/42/ann as the endpoint passes them.
func benchParams() map[string]string {
	return map[string]string{"id": "42", "Id": "42", "name": "ann", "Name": "ann"}
}
