/* Unit tests for lib/vn_lazylib.c: libraries loaded on first use. The real
 * libraries are the peers: libarchive is loaded by name and called, and the
 * failure paths name what to install. */
#define TH_SUITE "lazylib"
#include "harness.h"

#include "vn_archiveapi.h"
#include "vn_error.h"
#include "vn_isoapi.h"
#include "vn_lazylib.h"

TEST(missing_library_names_the_package)
{
    static const char *const so[] = {"libvnest-does-not-exist.so.9", NULL};
    static const char *const names[] = {"nothing", NULL};
    static void (*table[1])(void);
    vn_lazylib lib = {so, "vnest-imaginary1", names, table, PTHREAD_ONCE_INIT, 0, ""};
    vn_error err = {0};
    CHECK_INT(vn_lazylib_load(&lib, &err), VN_ERUNTIME);
    CHECK(strstr(err.msg, "cannot load libvnest-does-not-exist.so.9") != NULL);
    CHECK(strstr(err.msg, "install the Debian package vnest-imaginary1") != NULL);
    /* The answer is kept: a second call fails the same way, without retrying. */
    vn_error err2 = {0};
    CHECK_INT(vn_lazylib_load(&lib, &err2), VN_ERUNTIME);
    CHECK_STR(err2.msg, err.msg);
}

TEST(missing_function_is_an_error)
{
    static const char *const so[] = {"libarchive.so.13", NULL};
    static const char *const names[] = {"archive_version_number", "archive_no_such_call", NULL};
    static void (*table[2])(void);
    vn_lazylib lib = {so, "libarchive13", names, table, PTHREAD_ONCE_INIT, 0, ""};
    vn_error err = {0};
    CHECK_INT(vn_lazylib_load(&lib, &err), VN_ERUNTIME);
    CHECK(strstr(err.msg, "has no function archive_no_such_call") != NULL);
}

TEST(real_libraries_load_and_answer)
{
    vn_error err = {0};
    CHECK_INT(vn_archiveapi_load(&err), VN_OK);
    CHECK_INT(vn_archiveapi_load(&err), VN_OK); /* once is enough, twice is harmless */
    /* A call through the table reaches the real library. */
    struct archive *a = archive_read_new();
    CHECK(a != NULL);
    if (a)
        CHECK_INT(archive_read_free(a), ARCHIVE_OK);
    CHECK_INT(vn_isoapi_load(&err), VN_OK);
    const char *msg = iso_error_to_msg(ISO_SUCCESS);
    CHECK(msg != NULL && *msg);
}

int main(void)
{
    RUN(missing_library_names_the_package);
    RUN(missing_function_is_an_error);
    RUN(real_libraries_load_and_answer);
    return th_failures ? 1 : 0;
}
