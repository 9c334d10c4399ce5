-- Documents of the household's file attached to its case (a step's signed list, minutes, the
-- application, the home-visit record; a photo of the posted publicity list with its EXIF date).
CREATE TABLE case_documents (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    document_id TEXT NOT NULL REFERENCES documents (id),
    step TEXT,
    step_date DATE,
    exif_taken_on DATE,
    flag TEXT,
    linked_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (case_id, document_id)
);
CREATE INDEX case_documents_case ON case_documents (case_id);
