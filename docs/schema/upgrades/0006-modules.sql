-- Upgrade 6: the Module Build Service's module builds, their components and state traces.
-- Only new tables, so a hub of version 5 keeps working while this runs.

-- One module build (one N:S:V:C); states are MBS's numbers (init 0 … garbage 6).
CREATE TABLE module_builds (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    stream TEXT NOT NULL,
    -- A uint64 kept as digits; ordered numerically through version::NUMERIC.
    version TEXT NOT NULL,
    context TEXT NOT NULL,
    state INTEGER NOT NULL,
    state_reason TEXT,
    -- The MBS owner name (the submitter, or 'mbs_import').
    owner TEXT NOT NULL,
    owner_id BIGINT REFERENCES users(id),
    scmurl TEXT,
    -- The module commit the submission resolved to (xmd.mbs.commit).
    scm_commit TEXT,
    branch TEXT,
    -- The document as submitted (NULL for imports).
    modulemd_submitted TEXT,
    -- The current modulemd: expanded, with xmd.mbs filled (refs resolved at submission).
    modulemd TEXT NOT NULL,
    koji_tag TEXT,
    cg_build_koji_tag TEXT,
    rebuild_strategy TEXT NOT NULL,
    scratch BOOLEAN NOT NULL DEFAULT FALSE,
    batch INTEGER NOT NULL DEFAULT 0,
    new_repo_task_id BIGINT,
    -- The moduleBuild parent task that builds it (the backend).
    task_id BIGINT REFERENCES task(id),
    build_context TEXT,
    build_context_no_bms TEXT,
    runtime_context TEXT,
    stream_version BIGINT,
    virtual_streams TEXT[] NOT NULL DEFAULT '{}',
    arches TEXT[] NOT NULL DEFAULT '{}',
    reused_module_id BIGINT REFERENCES module_builds(id),
    time_submitted TIMESTAMPTZ NOT NULL DEFAULT now(),
    time_modified TIMESTAMPTZ NOT NULL DEFAULT now(),
    time_completed TIMESTAMPTZ,
    UNIQUE (name, stream, version, context)
);
CREATE INDEX module_builds_by_state ON module_builds(state);
CREATE INDEX module_builds_by_owner ON module_builds(owner);
CREATE INDEX module_builds_by_koji_tag ON module_builds(koji_tag);

-- Every state a module build entered, in order.
CREATE TABLE module_builds_trace (
    id BIGSERIAL PRIMARY KEY,
    module_id BIGINT NOT NULL REFERENCES module_builds(id),
    state_time TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    state INTEGER NOT NULL,
    state_reason TEXT
);
CREATE INDEX module_builds_trace_by_module ON module_builds_trace(module_id);

-- The modules a module build was built against (base modules included).
CREATE TABLE module_builds_to_module_buildrequires (
    module_id BIGINT NOT NULL REFERENCES module_builds(id),
    module_buildrequire_id BIGINT NOT NULL REFERENCES module_builds(id),
    UNIQUE (module_id, module_buildrequire_id)
);

-- One component (an RPM) of a module build; states are Koji build states, NULL = not submitted.
CREATE TABLE component_builds (
    id BIGSERIAL PRIMARY KEY,
    module_id BIGINT NOT NULL REFERENCES module_builds(id),
    package TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT 'rpms',
    -- The repository pinned to the resolved commit: <repository>?#<commit>.
    scmurl TEXT,
    -- The resolved commit.
    ref TEXT,
    buildorder BIGINT NOT NULL DEFAULT 0,
    batch INTEGER NOT NULL,
    state INTEGER,
    state_reason TEXT,
    nvr TEXT,
    task_id BIGINT,
    tagged BOOLEAN NOT NULL DEFAULT FALSE,
    tagged_in_final BOOLEAN NOT NULL DEFAULT FALSE,
    build_time_only BOOLEAN NOT NULL DEFAULT FALSE,
    buildonly BOOLEAN NOT NULL DEFAULT FALSE,
    reused_component_id BIGINT REFERENCES component_builds(id),
    weight DOUBLE PRECISION NOT NULL DEFAULT 0,
    UNIQUE (module_id, package)
);
CREATE INDEX component_builds_by_state ON component_builds(state);
CREATE INDEX component_builds_by_task ON component_builds(task_id);

-- Every state a component entered, in order.
CREATE TABLE component_builds_trace (
    id BIGSERIAL PRIMARY KEY,
    component_id BIGINT NOT NULL REFERENCES component_builds(id),
    state_time TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    state INTEGER,
    state_reason TEXT,
    task_id BIGINT
);
CREATE INDEX component_builds_trace_by_component ON component_builds_trace(component_id);
