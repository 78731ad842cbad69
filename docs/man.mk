# Man pages, generated from the command records (`vnest __scdoc`) by scdoc:
# one page per command plus vnest(1). Output in $(BUILD)/man.
BUILD ?= build
VNEST  = $(BUILD)/vnest
MANDIR = $(BUILD)/man

.PHONY: all
all: $(VNEST)
	@mkdir -p $(MANDIR)
	@$(VNEST) __scdoc | scdoc > $(MANDIR)/vnest.1
	@$(VNEST) __complete '' | while read -r noun; do \
	    verbs=$$($(VNEST) __complete "$$noun" ''); \
	    if [ -z "$$verbs" ] || [ "$$verbs" = "__files__" ]; then \
	        $(VNEST) __scdoc $$noun | scdoc > $(MANDIR)/vnest-$$noun.1; \
	    else for v in $$verbs; do \
	        $(VNEST) __scdoc $$noun $$v | scdoc > $(MANDIR)/vnest-$$noun-$$v.1; done; fi; \
	done
	@ls $(MANDIR)
