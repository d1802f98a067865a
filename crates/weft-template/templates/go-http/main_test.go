package main

import (
	"net/http/httptest"
	"testing"
)

func TestHello(t *testing.T) {
	rec := httptest.NewRecorder()
	hello(rec, httptest.NewRequest("GET", "/?name=Weft", nil))
	if got := rec.Body.String(); got != "Hello, Weft!" {
		t.Errorf("got %q, want %q", got, "Hello, Weft!")
	}
}
