/// The OpenAPI 3.1 description of every route, served at `/openapi.json`. A test fails
/// when a route is missing from it. The summaries and answers are kept here by hand; every
/// request schema, parameter and record schema is generated (see
/// `OpenAPIDocument+Schemas.swift` and `OpenAPIDocument+Operations.swift`) from the
/// collection schemas and the limits the server enforces, so the document cannot allow
/// what the server refuses for its form.
enum OpenAPIDocument {
    /// The hand-kept part: paths with their summaries, successful answers and security,
    /// and the response schemas. Every operation's error answers are added with the
    /// generated parts (see ``errorStatuses``).
    static let skeleton = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "RehabSync sync API",
    "version": "1",
    "description": "Regional sync server for digital cancer rehabilitation. Record states merge per field with version vectors (see the README). Errors are {\"error\":{\"code\",\"message\",\"field\"}}. Every GET route also answers HEAD: the same status and headers, Content-Length included, without the body. The server's own 503s (too many connections, request queue full, shutting down) carry Retry-After."
  },
  "paths": {
    "/healthz": {
      "get": {
        "summary": "Liveness: the database answers.",
        "responses": {
          "200": {
            "description": "OK",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "status": {
                      "const": "ok"
                    }
                  }
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/readyz": {
      "get": {
        "summary": "Readiness: 503 while the server sheds load (refused work in the last 5 s, or its request queue is full) or while the database cannot commit (disk full, read-only, locked; probed with a one-page write).",
        "responses": {
          "200": {
            "description": "Ready",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "status": {
                      "const": "ready"
                    }
                  }
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics: requests by route and status, latency histogram, records pushed and pulled, open conflicts, devices by last seen, connections open, requests queued, refusals and parser rejections by reason, 503s, and whether the database can commit. Needs the administrator's or the metrics token, except on the loopback-only metrics listener (setting metricsListen).",
        "responses": {
          "200": {
            "description": "Prometheus text format",
            "content": {
              "text/plain": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          },
          {
            "metrics": []
          }
        ]
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document.",
        "responses": {
          "200": {
            "description": "OpenAPI 3.1 document",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": []
      }
    },
    "/v1/sync/push": {
      "post": {
        "summary": "Push full states of records changed on the device. One transaction per batch; the answer comes after the commit is durable. Refused whole: 403 if any record is outside the device's units (answered the same whether the record exists in another unit or not at all), 422 if any breaks a domain rule, 409 replica_behind if the X-RehabSync-Sent-Mark header is below the highest counter the server holds from the device (the replica file is an older copy). Rules that depend on history are checked against what the writer had seen (its causal context), so a write concurrent with a completing or advancing one is accepted as a conflict. Re-sending a batch changes nothing.",
        "responses": {
          "200": {
            "description": "Receipt",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PushReceipt"
                }
              }
            }
          }
        },
        "security": [
          {
            "device": []
          }
        ]
      }
    },
    "/v1/sync/pull": {
      "get": {
        "summary": "Records of the device's care units changed after the cursor, oldest first. Store nextCursor only after joining the page.",
        "responses": {
          "200": {
            "description": "A page",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/PullPage"
                }
              }
            }
          }
        },
        "security": [
          {
            "device": []
          }
        ]
      }
    },
    "/v1/sync/hello": {
      "post": {
        "summary": "What a replica learns before its first write: the replica id to write as, the highest counter the server holds from it, the server's time and the clock drift it allows. Binds the token to the replica instance named in the body (and in the X-RehabSync-Instance header of later requests); a token bound to another instance is refused with 409 token_in_use unless replace is true, which gives the new instance a fresh replica id.",
        "responses": {
          "200": {
            "$ref": "#/components/responses/ReplicaIdentity"
          }
        }
      }
    },
    "/v1/sync/rotate": {
      "post": {
        "summary": "Gives the device a fresh replica id to write as. A replica whose push was refused with 409 replica_behind (its file is an older copy, restored from a backup) moves its unsent writes to the new id, so that no dot is ever used twice.",
        "responses": {
          "200": {
            "$ref": "#/components/responses/ReplicaIdentity"
          }
        }
      }
    },
    "/v1/sync/conflicts": {
      "get": {
        "summary": "Records in conflict in the device's units, with the fields in conflict.",
        "responses": {
          "200": {
            "description": "Conflicts",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "device": []
          }
        ]
      }
    },
    "/v1/sync/digest": {
      "get": {
        "summary": "SHA-256 over the dump of the records visible to the device (or one of its units), so a replica can prove it matches.",
        "responses": {
          "200": {
            "description": "Digest",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "scope": {
                      "type": "string"
                    },
                    "records": {
                      "type": "integer"
                    },
                    "digest": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "security": [
          {
            "device": []
          }
        ]
      }
    },
    "/v1/records/{collection}/{id}": {
      "get": {
        "summary": "One record the device may see (404 otherwise). Logged as a read.",
        "responses": {
          "200": {
            "description": "The record",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Record"
                }
              }
            }
          }
        },
        "security": [
          {
            "device": []
          }
        ]
      }
    },
    "/v1/admin/devices": {
      "post": {
        "summary": "Enrol a device for care units. The token is shown once and stored only as a hash.",
        "responses": {
          "201": {
            "description": "Enrolled",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "replicaId": {
                      "type": "string"
                    },
                    "token": {
                      "type": "string"
                    },
                    "name": {
                      "type": "string"
                    },
                    "units": {
                      "type": "array",
                      "items": {
                        "type": "string"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      },
      "get": {
        "summary": "Devices with last seen, cursor lag and pending conflicts.",
        "responses": {
          "200": {
            "description": "Devices",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/devices/{replicaId}/revoke": {
      "post": {
        "summary": "Revoke a device; its token stops working on the next request.",
        "responses": {
          "200": {
            "description": "Revoked",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/audit/verify": {
      "get": {
        "summary": "Recompute the sealed audit chain; reports the first edited or removed entry, and with ?head= a head written down earlier (see /v1/admin/audit/head) fails when the chain no longer reaches it.",
        "responses": {
          "200": {
            "description": "Verdict",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "ok": {
                      "type": "boolean"
                    },
                    "entries": {
                      "type": "integer"
                    },
                    "brokenAt": {
                      "type": [
                        "integer",
                        "null"
                      ]
                    },
                    "problem": {
                      "type": [
                        "string",
                        "null"
                      ]
                    }
                  }
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/audit": {
      "get": {
        "summary": "A patient's log extract (PDL 8 kap. 5 §). Taking it is itself logged.",
        "responses": {
          "200": {
            "description": "Entries",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/audit/head": {
      "get": {
        "summary": "The head of the sealed access log, <entry id>:<seal>, for the operator to write down outside the server; 'audit verify' with this head later proves nothing up to it was cut off.",
        "responses": {
          "200": {
            "description": "Head",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "head": {
                      "type": "string"
                    },
                    "entry": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/sync/access-log": {
      "post": {
        "summary": "The device's own access log: records opened, a patient's records listed and conflicts reviewed offline, sent at the next sync and logged into the server's access log with the device, clinician and the device's time. An entry already logged with the same id and content is skipped, so a resend after a lost answer logs nothing twice.",
        "responses": {
          "200": {
            "description": "How many entries were logged now, and the last entry id of the batch, which the device may now forget",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "logged": {
                      "type": "integer"
                    },
                    "through": {
                      "type": "integer"
                    }
                  }
                }
              }
            }
          }
        },
        "security": [
          {
            "device": []
          }
        ]
      }
    },
    "/v1/admin/dump": {
      "get": {
        "summary": "Every record state of a care unit, one canonical JSON line per record sorted by collection and id: the same format as a replica's dump.",
        "responses": {
          "200": {
            "description": "NDJSON",
            "content": {
              "application/x-ndjson": {
                "schema": {
                  "type": "string"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/export/jobs": {
      "get": {
        "summary": "The register export jobs declared in Jobs/: name, enabled, target and the canonical URLs of their measures.",
        "responses": {
          "200": {
            "description": "{jobs}",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/export/next": {
      "get": {
        "summary": "The upcoming runs of every enabled export job (Swedish time, given as UTC) with the month each reports.",
        "responses": {
          "200": {
            "description": "{runs}",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/export/status": {
      "get": {
        "summary": "The export ledger: per unit and month the revision the register holds, what is pending, refusals with the register's answer, and recent runs.",
        "responses": {
          "200": {
            "description": "{reports, runs}",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    },
    "/v1/admin/export/run": {
      "post": {
        "summary": "Run an export job for a month now (or as if at asOf): new and corrected reports are sent and the ledger updated. With dryRun the FHIR Bundles are returned and nothing is stored or sent. 409 when another run of the same job and month holds the lease; 422 for a month not yet over.",
        "responses": {
          "200": {
            "description": "A run report {job, period, outcome, delivered, unchanged, problems}; with dryRun an array of FHIR R4 Bundles",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            }
          }
        },
        "security": [
          {
            "admin": []
          }
        ]
      }
    }
  },
  "components": {
    "securitySchemes": {
      "device": {
        "type": "http",
        "scheme": "bearer",
        "description": "Device token from enrolment: rs1.<replicaId>.<secret>"
      },
      "admin": {
        "type": "http",
        "scheme": "bearer",
        "description": "Administrator token from the token file in the data directory"
      },
      "metrics": {
        "type": "http",
        "scheme": "bearer",
        "description": "The metrics token of the server's settings (metricsToken), good for /metrics only"
      }
    },
    "responses": {
      "ReplicaIdentity": {
        "description": "The replica id to write as, the highest counter the server holds from it, the server's time (ms since the epoch) and the allowed clock drift (ms)",
        "content": {
          "application/json": {
            "schema": {
              "type": "object",
              "required": [
                "replicaId",
                "counter",
                "serverTime",
                "maximumClockDriftMilliseconds"
              ],
              "properties": {
                "replicaId": {
                  "type": "string"
                },
                "counter": {
                  "type": "integer",
                  "minimum": 0
                },
                "serverTime": {
                  "type": "integer"
                },
                "maximumClockDriftMilliseconds": {
                  "type": "integer"
                }
              }
            }
          }
        }
      },
      "Error": {
        "description": "Error",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "required": [
          "error"
        ],
        "properties": {
          "error": {
            "type": "object",
            "required": [
              "code",
              "message",
              "field"
            ],
            "properties": {
              "code": {
                "type": "string"
              },
              "message": {
                "type": "string"
              },
              "field": {
                "type": [
                  "string",
                  "null"
                ]
              }
            }
          }
        }
      },
      "RecordState": {
        "type": "object",
        "required": [
          "context",
          "fields"
        ],
        "properties": {
          "context": {
            "type": "object",
            "additionalProperties": {
              "type": "integer",
              "minimum": 1
            }
          },
          "fields": {
            "type": "object",
            "additionalProperties": {
              "type": "array",
              "minItems": 1,
              "items": {
                "type": "object",
                "required": [
                  "author",
                  "dot",
                  "hlc",
                  "value",
                  "wall"
                ],
                "properties": {
                  "author": {
                    "type": "string"
                  },
                  "dot": {
                    "type": "array",
                    "prefixItems": [
                      {
                        "type": "string"
                      },
                      {
                        "type": "integer"
                      }
                    ]
                  },
                  "hlc": {
                    "type": "array",
                    "prefixItems": [
                      {
                        "type": "integer"
                      },
                      {
                        "type": "integer"
                      }
                    ]
                  },
                  "value": {},
                  "wall": {
                    "type": "integer"
                  }
                }
              }
            }
          }
        }
      },
      "Record": {
        "type": "object",
        "required": [
          "collection",
          "id",
          "sequence",
          "state"
        ],
        "properties": {
          "collection": {
            "type": "string"
          },
          "id": {
            "type": "string"
          },
          "sequence": {
            "type": "integer"
          },
          "state": {
            "$ref": "#/components/schemas/RecordState"
          }
        }
      },
      "PushReceipt": {
        "type": "object",
        "properties": {
          "accepted": {
            "type": "integer"
          },
          "changed": {
            "type": "integer"
          },
          "results": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "collection": {
                  "type": "string"
                },
                "id": {
                  "type": "string"
                },
                "sequence": {
                  "type": "integer"
                },
                "changed": {
                  "type": "boolean"
                }
              }
            }
          }
        }
      },
      "PullPage": {
        "type": "object",
        "required": [
          "records",
          "nextCursor",
          "hasMore",
          "removed"
        ],
        "properties": {
          "records": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/Record"
            }
          },
          "removed": {
            "description": "Records the device held that it may no longer see (moved out of its units, or a handover's grant lapsed), in sequence order with the records: the replica removes them and keeps what they held on record.",
            "type": "array",
            "items": {
              "type": "object",
              "required": [
                "collection",
                "id",
                "reason",
                "sequence"
              ],
              "properties": {
                "collection": {
                  "type": "string"
                },
                "id": {
                  "type": "string"
                },
                "reason": {
                  "type": "string",
                  "enum": [
                    "no_longer_visible"
                  ]
                },
                "sequence": {
                  "type": "integer"
                }
              }
            }
          },
          "nextCursor": {
            "type": "integer"
          },
          "hasMore": {
            "type": "boolean"
          }
        }
      }
    }
  }
}
"""#
}
