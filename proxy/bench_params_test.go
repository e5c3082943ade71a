package proxy

// benchNeeds: backend 0's user.id, for backend 1.
func benchNeeds() [][]SequentialParam {
	return [][]SequentialParam{{{Name: "resp0_user.id", Backend: 0, Path: "user.id"}}, nil}
}

// benchRequest is a request of /users/{id} as the endpoint passes it.
func benchRequest() *Request {
	return &Request{Params: map[string]string{"id": "7", "Id": "7"}}
}
