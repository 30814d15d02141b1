/// The OpenAPI 3.1 description of everything this server answers, served at `/-/openapi.json`.
/// A test requests every path described here and checks that a route answers it.
enum OpenAPIDocument {
    static let json = Array(#"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Agora node",
        "version": "1",
        "description": "A peer-to-peer package registry node: the Swift Package Registry API (SE-0292, version 1) and Agora's JSON API. Errors are application/problem+json (RFC 7807)."
      },
      "paths": {
        "/{scope}/{name}": {
          "get": {"summary": "List a package's releases, newest first; yanked ones carry a 410 problem", "tags": ["registry"],
            "parameters": [{"$ref": "#/components/parameters/scope"}, {"$ref": "#/components/parameters/name"},
              {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": {"description": "releases", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Releases"}}}},
              "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/{scope}/{name}/{version}": {
          "get": {"summary": "Release metadata with the source-archive checksum", "tags": ["registry"],
            "parameters": [{"$ref": "#/components/parameters/scope"}, {"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/version"}],
            "responses": {"200": {"description": "metadata (or, for {version}.zip, the archive as published)",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Release"}}, "application/zip": {}}},
              "404": {"$ref": "#/components/responses/Problem"}}},
          "put": {"summary": "Publish a release (multipart: source-archive, optional metadata, and with X-Swift-Package-Signature-Format the SwiftPM signature parts); signed by the node's publisher key", "tags": ["registry"],
            "security": [{"bearer": []}],
            "parameters": [{"$ref": "#/components/parameters/scope"}, {"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/version"}],
            "requestBody": {"required": true, "content": {"multipart/form-data": {"schema": {"type": "object", "required": ["source-archive"],
              "properties": {"source-archive": {"type": "string", "format": "binary"}, "metadata": {"type": "object"},
                "source-archive-signature": {"type": "string", "format": "binary"}, "metadata-signature": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": {"description": "published (also for the same bytes again)"},
              "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"},
              "409": {"$ref": "#/components/responses/Problem"}, "413": {"$ref": "#/components/responses/Problem"},
              "415": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"},
              "429": {"$ref": "#/components/responses/Problem"}}}
        },
        "/{scope}/{name}/{version}/Package.swift": {
          "get": {"summary": "The manifest as published; Link headers name the Package@swift-X.swift variants", "tags": ["registry"],
            "parameters": [{"$ref": "#/components/parameters/scope"}, {"$ref": "#/components/parameters/name"}, {"$ref": "#/components/parameters/version"},
              {"name": "swift-version", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "manifest", "content": {"text/x-swift": {}}}, "303": {"description": "no such variant: the plain manifest"},
              "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/identifiers": {
          "get": {"summary": "Package identifiers for a repository URL", "tags": ["registry"],
            "parameters": [{"name": "url", "in": "query", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the packages whose releases declare this repository (repositoryURLs), compared as SwiftPM compares locations",
              "content": {"application/json": {"schema": {"type": "object", "properties": {"identifiers": {"type": "array", "items": {"type": "string"}}}}}}},
              "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/login": {
          "post": {"summary": "Check a bearer token (swift package-registry login)", "tags": ["registry"], "security": [{"bearer": []}],
            "responses": {"200": {"description": "the token is valid"}, "401": {"$ref": "#/components/responses/Problem"}}}
        },
        "/-/api/v1/search": {
          "get": {"summary": "Search packages (exact, prefix, one-typo and word matches)", "tags": ["json"],
            "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string", "maxLength": 200}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
              {"name": "keyword", "in": "query", "schema": {"type": "string"}}, {"name": "author", "in": "query", "schema": {"type": "string"}},
              {"name": "yanked", "in": "query", "schema": {"type": "boolean"}}],
            "responses": {"200": {"description": "results", "content": {"application/json": {"schema": {"type": "object", "properties": {"results": {"type": "array",
              "items": {"type": "object", "properties": {"package": {"type": "string"}, "version": {"type": "string"}, "description": {"type": "string"},
                "authors": {"type": "array", "items": {"type": "string"}}, "match": {"type": "string"}, "yanked": {"type": "boolean"}, "contested": {"type": "boolean"}}}}}}}}},
              "400": {"$ref": "#/components/responses/Problem"}}}
        },
        "/-/api/v1/packages/{scope}/{name}": {
          "get": {"summary": "Every release of a package with digests, authors, signing keys, yanks and claims (agora info)", "tags": ["json"],
            "parameters": [{"$ref": "#/components/parameters/scope"}, {"$ref": "#/components/parameters/name"}],
            "responses": {"200": {"description": "package", "content": {"application/json": {}}}, "404": {"$ref": "#/components/responses/Problem"}}}
        },
        "/-/api/v1/log": {
          "get": {"summary": "The local log from a sequence number (the changes feed; agora log)", "tags": ["json"],
            "parameters": [{"name": "since", "in": "query", "schema": {"type": "integer", "minimum": 0}},
              {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
            "responses": {"200": {"description": "entries and the next since value (null at the end)", "content": {"application/json": {}}}}}
        },
        "/-/api/v1/status": {
          "get": {"summary": "The publisher key, log length and, beside a running node, its peer ID, addresses and health (ok, syncing, alone)", "tags": ["json"],
            "responses": {"200": {"description": "status", "content": {"application/json": {"schema": {"type": "object", "required": ["publisher", "events", "viewsLag"],
              "properties": {"publisher": {"type": "string"}, "events": {"type": "integer"}, "viewsLag": {"type": "integer"}, "node": {"type": ["object", "null"],
                "properties": {"peerID": {"type": "string"}, "listen": {"type": "array", "items": {"type": "string"}}, "mirror": {"type": "boolean"},
                  "peersConnected": {"type": "integer"}, "maxSyncLag": {"type": "integer"}, "peersCutOff": {"type": "integer"},
                  "health": {"type": "string", "enum": ["ok", "syncing", "alone"]}}}}}}}}}}
        },
        "/-/api/v1/peers": {
          "get": {"summary": "The running node's connected peers: RTT, agent, protocols, sync position and lag (agora peers --json); peers cut off and why", "tags": ["json"],
            "responses": {"200": {"description": "peers (empty, node false, when no node runs beside the server)", "content": {"application/json": {"schema": {"type": "object",
              "properties": {"node": {"type": "boolean"}, "peers": {"type": "array", "items": {"type": "object"}}, "cutOff": {"type": "array", "items": {"type": "object"}}}}}}}}}
        },
        "/-/openapi.json": {"get": {"summary": "This document", "tags": ["json"], "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/": {"get": {"summary": "The web page: search, package versions, digests, authors, history", "tags": ["web"], "responses": {"200": {"description": "HTML"}}}}
      },
      "components": {
        "parameters": {
          "scope": {"name": "scope", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-zA-Z0-9](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,38}$"}},
          "name": {"name": "name", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[a-zA-Z0-9](?:[a-zA-Z0-9]|[-_](?=[a-zA-Z0-9])){0,99}$"}},
          "version": {"name": "version", "in": "path", "required": true, "schema": {"type": "string"}}
        },
        "responses": {
          "Problem": {"description": "RFC 7807 problem", "content": {"application/problem+json": {"schema": {"type": "object",
            "properties": {"status": {"type": "integer"}, "title": {"type": "string"}, "detail": {"type": "string"}}}}}}
        },
        "schemas": {
          "Releases": {"type": "object", "properties": {"releases": {"type": "object", "additionalProperties": {"type": "object",
            "properties": {"url": {"type": "string"}, "problem": {"type": "object"}}}}}},
          "Release": {"type": "object", "required": ["id", "version", "resources", "metadata"], "properties": {"id": {"type": "string"}, "version": {"type": "string"},
            "resources": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "type": {"type": "string"}, "checksum": {"type": "string"}}}},
            "metadata": {"type": "object"}, "publishedAt": {"type": "string", "format": "date-time"}}}
        },
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}
      }
    }
    """#.utf8)
}
