"""Session-state keys shared across pages (plain keys, never widget keys)."""

PROJECT_ID = "project_id"  # experiment id of the selected project
TRAIN_RESULTS = "train_results"  # list[TrainResult] of the last training click
PREDICT_RESULT = "predict_result"  # last single-row Prediction
PREDICT_BATCH = "predict_batch"  # ((upload file id, model uri), scored frame): a batch predicted and logged once
PREDICT_NOTICE = "predict_notice"  # a message for the next full run (the alias moved to other inputs)
PROFILED = "data_profiled_digest"  # digest of the data whose profile report is shown
SEARCH_JOB = "search_job"  # id of the search (core.jobs) this session watches
ORPHANS_SWEPT = "orphans_swept"  # experiment whose orphaned RUNNING runs this session has ended
EVALUATION_ERRORS = "compare_evaluation_errors"  # run id -> why the compare page could not evaluate it
