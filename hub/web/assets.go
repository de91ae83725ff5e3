package web

import (
	"embed"
	"io/fs"
	"net/http"
)

// assets is the dashboard: plain HTML, CSS and JavaScript written for this
// project, embedded so nothing is fetched from elsewhere.
//
//go:embed assets
var assets embed.FS

func assetHandler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree always has assets/
	}
	return http.FileServerFS(sub)
}
