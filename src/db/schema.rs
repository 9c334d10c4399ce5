//! The one schema, in types portable across SQLite and PostgreSQL (written by hand: print-schema
//! sees one backend). Ids are UUIDv7 text, times naive UTC, booleans `Bool`, JSON as `Text`.

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        password_hash -> Text,
        display_name -> Text,
        role -> Text,
        jurisdiction -> Text,
        phone_enc -> Nullable<Text>,
        work_unit -> Nullable<Text>,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        token_generation -> BigInt,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        user_id -> Text,
        family_id -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    household_number_counters (village_code) {
        village_code -> Text,
        last_sequence -> BigInt,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    divisions (code) {
        code -> Text,
        name -> Text,
        level -> Text,
        parent_code -> Nullable<Text>,
        merged_into -> Nullable<Text>,
    }
}

diesel::table! {
    households (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        number -> Text,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
        address -> Nullable<Text>,
        category -> Text,
        head_name -> Text,
        has_location -> Bool,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        home_location_id -> Nullable<Text>,
        home_lat -> Nullable<Double>,
        home_lon -> Nullable<Double>,
        home_accuracy_m -> Nullable<Double>,
        home_captured_at -> Nullable<Timestamp>,
        pending_move_id -> Nullable<Text>,
        last_capture_low_accuracy -> Bool,
        former_village_code -> Nullable<Text>,
        natural_village_id -> Nullable<Text>,
        sync_seq -> BigInt,
        risk_status -> Nullable<Text>,
        risk_types -> Nullable<Text>,
        profile -> Text,
    }
}

diesel::table! {
    locations (id) {
        id -> Text,
        household_id -> Text,
        client_id -> Nullable<Text>,
        lat -> Double,
        lon -> Double,
        orig_lat -> Double,
        orig_lon -> Double,
        orig_crs -> Text,
        accuracy_m -> Double,
        altitude_m -> Nullable<Double>,
        captured_at -> Timestamp,
        source -> Text,
        mock_location -> Bool,
        flags -> Text,
        moved_m -> Nullable<Double>,
        status -> Text,
        captured_by -> Text,
        captured_by_name -> Text,
        confirmed_by_name -> Nullable<Text>,
        confirmed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        household_id -> Text,
        name -> Text,
        relation -> Text,
        sex -> Text,
        birth_date -> Date,
        id_number_enc -> Nullable<Text>,
        id_number_hmac -> Nullable<Text>,
        phone_enc -> Nullable<Text>,
        removed_at -> Nullable<Timestamp>,
        removed_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        no_id_reason -> Nullable<Text>,
        join_reason -> Nullable<Text>,
        joined_on -> Nullable<Date>,
        left_on -> Nullable<Date>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_name -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        household_id -> Nullable<Text>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
    }
}

diesel::table! {
    photos (id) {
        id -> Text,
        household_id -> Text,
        client_id -> Nullable<Text>,
        kind -> Text,
        year -> Integer,
        taken_at -> Timestamp,
        uploaded_by -> Text,
        uploaded_by_name -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
        width -> Integer,
        height -> Integer,
        exif_json -> Text,
        checks_json -> Text,
        near_home -> Nullable<Bool>,
        duplicate_of -> Text,
        phash -> BigInt,
        phash_b0 -> Integer,
        phash_b1 -> Integer,
        phash_b2 -> Integer,
        phash_b3 -> Integer,
        status -> Text,
        reasons -> Text,
        review_json -> Nullable<Text>,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    case_documents (id) {
        id -> Text,
        case_id -> Text,
        document_id -> Text,
        step -> Nullable<Text>,
        step_date -> Nullable<Date>,
        exif_taken_on -> Nullable<Date>,
        flag -> Nullable<Text>,
        linked_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        household_id -> Text,
        kind -> Text,
        year -> Integer,
        media_type -> Text,
        sha256 -> Text,
        size_bytes -> BigInt,
        uploaded_by -> Text,
        uploaded_by_name -> Text,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    yearly_records (id) {
        id -> Text,
        household_id -> Text,
        year -> Integer,
        record_json -> Text,
        per_capita_net_income_fen -> BigInt,
        per_capita_after_rigid_expenses_fen -> BigInt,
        version -> BigInt,
        updated_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sync_counter (id) {
        id -> Integer,
        value -> BigInt,
    }
}

diesel::table! {
    sync_tombstones (id) {
        id -> Text,
        seq -> BigInt,
        household_id -> Text,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
        cadre_user_id -> Nullable<Text>,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cadres (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        county_code -> Text,
        name -> Text,
        work_unit -> Text,
        phone_enc -> Nullable<Text>,
        id_number_enc -> Nullable<Text>,
        id_number_hmac -> Nullable<Text>,
        user_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pairings (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        household_id -> Text,
        cadre_id -> Text,
        start_date -> Date,
        end_date -> Nullable<Date>,
        end_reason -> Nullable<Text>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    work_teams (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
        name -> Text,
        first_secretary_id -> Nullable<Text>,
        member_ids -> Text,
        term_start -> Date,
        term_end -> Nullable<Date>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    measures (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        household_id -> Text,
        kind -> Text,
        title -> Text,
        description -> Nullable<Text>,
        start_date -> Date,
        end_date -> Nullable<Date>,
        amount_cents -> Nullable<BigInt>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    natural_villages (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        village_code -> Text,
        name -> Text,
        group_leader -> Nullable<Text>,
        population -> Nullable<Integer>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    village_years (id) {
        id -> Text,
        place_id -> Text,
        year -> Integer,
        record_json -> Text,
        version -> BigInt,
        updated_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        request -> Text,
        status -> Integer,
        headers_json -> Nullable<Text>,
        body -> Nullable<Binary>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        household_id -> Text,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
        kind -> Text,
        reason -> Text,
        risk_types -> Text,
        target_category -> Nullable<Text>,
        stage -> Text,
        stage_since -> Date,
        opened_on -> Date,
        is_open -> Bool,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        return_reason -> Nullable<Text>,
        screening_year -> Nullable<Integer>,
        screening_criterion -> Nullable<Text>,
    }
}

diesel::table! {
    case_steps (id) {
        id -> Text,
        case_id -> Text,
        step -> Text,
        outcome -> Text,
        step_date -> Date,
        signatories -> Text,
        departments -> Nullable<Text>,
        note -> Nullable<Text>,
        entered_by -> Text,
        entered_at -> Timestamp,
        details -> Nullable<Text>,
        batch_id -> Nullable<Text>,
    }
}

diesel::table! {
    campaign_schedules (id) {
        id -> Text,
        county_code -> Text,
        year -> Integer,
        collection_by -> Date,
        evaluation_by -> Date,
        entry_by -> Date,
        acceptance_by -> Date,
        version -> BigInt,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    exclusions (id) {
        id -> Text,
        household_id -> Text,
        condition -> Text,
        evidence -> Text,
        recorded_on -> Date,
        recorded_by -> Text,
        approved_by -> Nullable<Text>,
        approval_reason -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        lifted_by -> Nullable<Text>,
        lift_reason -> Nullable<Text>,
        lifted_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    spot_checks (id) {
        id -> Text,
        division_code -> Text,
        params_json -> Text,
        seed -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    spot_check_items (id) {
        id -> Text,
        spot_check_id -> Text,
        household_id -> Text,
        village_code -> Text,
        township_code -> Text,
        fully_surveyed -> Bool,
        identification_correct -> Nullable<Bool>,
        data_correct -> Nullable<Bool>,
        note -> Nullable<Text>,
        checked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    quality_runs (id) {
        id -> Text,
        division_code -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        households -> BigInt,
        hits -> BigInt,
        opened -> BigInt,
        reopened -> BigInt,
        resolved -> BigInt,
        created_by -> Text,
    }
}

diesel::table! {
    problems (id) {
        id -> Text,
        household_id -> Nullable<Text>,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
        rule_id -> Text,
        subject -> Text,
        severity -> Text,
        detail -> Text,
        status -> Text,
        fingerprint -> Text,
        deadline -> Date,
        note -> Nullable<Text>,
        opened_run -> Text,
        last_run -> Text,
        resolved_run -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        status_changed_at -> Timestamp,
        status_changed_by -> Nullable<Text>,
        source -> Text,
        category -> Nullable<Text>,
        guarantee -> Nullable<Text>,
        found_by -> Nullable<Text>,
        found_on -> Nullable<Date>,
        measure -> Nullable<Text>,
        responsible_user_id -> Nullable<Text>,
        responsible_name -> Nullable<Text>,
    }
}

diesel::table! {
    problem_evidence (id) {
        id -> Text,
        problem_id -> Text,
        kind -> Text,
        photo_id -> Nullable<Text>,
        document_id -> Nullable<Text>,
        purpose -> Text,
        progress_id -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    problem_progress (id) {
        id -> Text,
        problem_id -> Text,
        noted_on -> Date,
        note -> Text,
        created_at -> Timestamp,
        created_by -> Text,
    }
}

diesel::table! {
    problem_signoffs (id) {
        id -> Text,
        problem_id -> Text,
        role -> Text,
        signer_name -> Text,
        signer_user_id -> Nullable<Text>,
        recorded_by -> Text,
        signed_at -> Timestamp,
    }
}

diesel::joinable!(members -> households (household_id));
diesel::joinable!(yearly_records -> households (household_id));
diesel::joinable!(photos -> households (household_id));
diesel::joinable!(documents -> households (household_id));
diesel::joinable!(case_documents -> documents (document_id));
diesel::joinable!(case_documents -> cases (case_id));
diesel::joinable!(locations -> households (household_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(pairings -> households (household_id));
diesel::joinable!(pairings -> cadres (cadre_id));
diesel::table! {
    projects (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        county_code -> Text,
        category -> Text,
        name -> Text,
        year -> Integer,
        status -> Text,
        start_date -> Nullable<Date>,
        end_date -> Nullable<Date>,
        total_fen -> BigInt,
        central_fen -> BigInt,
        provincial_fen -> BigInt,
        county_fen -> BigInt,
        other_fen -> BigInt,
        description -> Nullable<Text>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    project_villages (project_id, village_code) {
        project_id -> Text,
        village_code -> Text,
        township_code -> Text,
        county_code -> Text,
    }
}

diesel::table! {
    project_beneficiaries (project_id, household_id) {
        project_id -> Text,
        household_id -> Text,
        benefit_fen -> Nullable<BigInt>,
        added_by -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    loans (id) {
        id -> Text,
        client_id -> Nullable<Text>,
        household_id -> Text,
        lender -> Text,
        amount_fen -> BigInt,
        issued_on -> Date,
        due_on -> Date,
        extended_to -> Nullable<Date>,
        purpose -> Nullable<Text>,
        interest_subsidy_fen -> BigInt,
        status -> Text,
        repaid_on -> Nullable<Date>,
        version -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    migrant_work (id) {
        id -> Text,
        household_id -> Text,
        member_id -> Text,
        year -> Integer,
        destination_code -> Text,
        employer -> Nullable<Text>,
        sector -> Nullable<Text>,
        months_away -> Integer,
        income_fen -> BigInt,
        programme -> Bool,
        version -> BigInt,
        updated_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(measures -> households (household_id));
diesel::joinable!(project_villages -> projects (project_id));
diesel::joinable!(project_beneficiaries -> projects (project_id));
diesel::joinable!(project_beneficiaries -> households (household_id));
diesel::joinable!(loans -> households (household_id));
diesel::joinable!(migrant_work -> households (household_id));
diesel::joinable!(cases -> households (household_id));
diesel::joinable!(problems -> households (household_id));
diesel::joinable!(case_steps -> cases (case_id));
diesel::joinable!(spot_check_items -> households (household_id));
diesel::allow_tables_to_appear_in_same_query!(
    users, refresh_tokens, login_failures, divisions, households, members, audit_log, locations, photos, yearly_records,
    sync_counter, sync_tombstones, cadres, pairings, work_teams, measures, natural_villages, village_years, idempotency_keys,
    cases, case_steps, campaign_schedules, exclusions, spot_checks, spot_check_items, quality_runs, problems, problem_evidence, problem_progress, problem_signoffs,
    documents, case_documents, projects, project_villages, project_beneficiaries, loans, migrant_work
);
