# Reference values for `analysis/tests/rds.rs`, computed with the R package
# RDS's own functions. Run from a checkout of the RDS source tree:
#
#   Rscript reference.R /path/to/RDS-source /path/to/analysis/tests/data/rds
#
# It loads the package's R files with sys.source() (base R only; the package's
# imports are not needed by these functions), loads its example data, writes
# each data set as CSV and writes reference.csv. See README.md.
library(methods)
args <- commandArgs(trailingOnly = TRUE)
src <- args[1]
out <- args[2]
for (f in list.files(file.path(src, "R"), full.names = TRUE)) sys.source(f, envir = globalenv())
options(warn = 1)

load_data <- function(file, name) {
  e <- new.env()
  load(file.path(src, "data", file), envir = e)
  get(name, envir = e)
}

rows <- list()
add <- function(dataset, variable, quantity, wave, category, value) {
  rows[[length(rows) + 1]] <<- data.frame(
    dataset = dataset, variable = variable, quantity = quantity,
    wave = wave, category = category,
    value = trimws(formatC(value, digits = 17, format = "g")),
    stringsAsFactors = FALSE)
}
point <- function(est) {
  # An rds.weighted.estimate (empir.lik = FALSE): a named vector.
  v <- est@estimate
  setNames(as.numeric(v), names(v))
}

run <- function(dataset, data, degree, variables, convergence) {
  for (v in variables) {
    # Every variable is treated as categorical (to.factor = TRUE), as the CSV
    # gives `chorus rds` only text.
    i <- point(RDS.I.estimates(data, v, empir.lik = FALSE, to.factor = TRUE))
    for (k in names(i)) add(dataset, v, "rds-i", "", k, i[[k]])
    ds <- point(RDS.I.estimates(data, v, empir.lik = FALSE, to.factor = TRUE, smoothed = TRUE))
    for (k in names(ds)) add(dataset, v, "rds-i-ds", "", k, ds[[k]])
    ii <- point(RDS.II.estimates(data, v, empir.lik = FALSE, to.factor = TRUE))
    for (k in names(ii)) add(dataset, v, "rds-ii", "", k, ii[[k]])
    h <- homophily.estimates(data, v, recruitment = TRUE)
    add(dataset, v, "recruitment-homophily", "", "", attr(h@estimate, "homophily"))
    if (convergence) {
      for (q in list(c("rds-i", "RDS.I.estimates"), c("rds-ii", "RDS.II.estimates"))) {
        ce <- cumulative.estimate(data, v, est.func = get(q[2]), to.factor = TRUE)
        for (w in seq_len(nrow(ce))) for (k in colnames(ce)) {
          if (!is.na(ce[w, k])) add(dataset, v, q[1], as.character(w - 1), k, ce[w, k])
        }
      }
    }
  }
  w <- table(get.wave(data))
  for (k in names(w)) add(dataset, "", "wave-size", k, "", as.numeric(w[[k]]))
}

write_csv <- function(df, file) {
  write.csv(df, file.path(out, file), row.names = FALSE, na = "")
}

fm <- load_data("fauxmadrona.RData", "fauxmadrona")
write_csv(data.frame(fm)[, c("id", "recruiter.id", "degree", "disease", "wave")], "fauxmadrona.csv")
run("fauxmadrona", fm, "degree", "disease", TRUE)

fs <- load_data("fauxsycamore.RData", "fauxsycamore")
write_csv(data.frame(fs)[, c("id", "recruiter.id", "degree", "disease", "wave")], "fauxsycamore.csv")
run("fauxsycamore", fs, "degree", "disease", TRUE)

fx <- load_data("faux.RData", "faux")
fxd <- data.frame(fx)[, c("id", "recruiter.id", "network.size", "X", "Y", "Z", "wave")]
for (c in c("X", "Y", "Z")) fxd[[c]] <- as.character(fxd[[c]])
write_csv(fxd, "faux.csv")
run("faux", fx, "network.size", c("X", "Y", "Z"), TRUE)

# faux with Y missing for every 7th row (rows 7, 14, ...): such a respondent
# stays in the recruitment chains but is left out of the estimates.
fxm <- fx
ym <- as.character(fxm$Y)
ym[seq(7, length(ym), by = 7)] <- NA
fxm$Y <- ym
fxmd <- fxd
fxmd$Y <- ym
write_csv(fxmd[, c("id", "recruiter.id", "network.size", "Y", "wave")], "faux-missing.csv")
run("faux-missing", fxm, "network.size", "Y", TRUE)

ft <- load_data("fauxtime.RData", "fauxtime")
write_csv(data.frame(ft)[, c("SER", "recruiter.id", "NETWORK", "var1")], "fauxtime.csv")
# fauxtime has recruitment times, which cumulative.estimate() would use in
# place of waves: only its point estimates are taken.
run("fauxtime", ft, "NETWORK", "var1", FALSE)

ref <- do.call(rbind, rows)
write.csv(ref, file.path(out, "reference.csv"), row.names = FALSE)
cat(sprintf("%d reference values written\n", nrow(ref)))
