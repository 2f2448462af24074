"""Session-state keys shared across pages (plain keys, never widget keys)."""

PROJECT_ID = "project_id"  # experiment id of the selected project
TRAIN_RESULTS = "train_results"  # list[TrainResult] of the last training click
PREDICT_RESULT = "predict_result"  # (model uri, Prediction, warnings, the inputs it answers)
PREDICT_INPUTS = "predict_inputs"  # model uri -> feature -> value of the one-row inputs
PREDICT_BATCH = "predict_batch"  # ((upload file id, model uri), scored frame): a batch predicted and logged once
EXPLAINED = "predict_explained"  # "one" / "batch" -> (what was explained, its explanations or why not): once each
PREDICT_PARTS = "predict_parts"  # (model uri, core.serve.batch.BatchResult): the last batch of server files
PREDICT_NOTICE = "predict_notice"  # a message for the next full run (the alias moved to other inputs)
PROFILED = "data_profiled_digest"  # digest of the data whose profile report is shown
SEARCH_JOB = "search_job"  # id of the search (core.train.jobs) this session watches
ORPHANS_SWEPT = "orphans_swept"  # experiment whose orphaned RUNNING runs this session has ended
EVALUATION_ERRORS = "compare_evaluation_errors"  # run id -> why the compare page could not evaluate it
DATA_TARGETS = "data_targets"  # data digest -> (target, why it was suggested or None when the person chose it)
ACTOR_NAME = "actor_name"  # the name the person gave for the audit trail (without sign-in), once per session
FOCUS = "focus"  # the registered model (and alias) in focus: {"project": experiment id, "model": name, "alias": …}
FOCUS_RUNS = "focus_runs"  # experiment id -> the runs chosen for comparison on C
